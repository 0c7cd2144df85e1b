# Stand-in for wiremock/wiremock:X on a machine that cannot pull images (scripts/build-base-images):
# Debian trixie's Java with the pinned standalone jar, laid out and started as the official image does
# (jar in /var/wiremock/lib, working directory /home/wiremock, options given as the container's command).
FROM chainprobe-standin/trixie:base
RUN apt-get update -qq \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends openjdk-21-jre-headless >/dev/null \
 && rm -rf /var/lib/apt/lists/*
COPY wiremock-standalone.jar /var/wiremock/lib/wiremock-standalone.jar
COPY docker-entrypoint.sh /docker-entrypoint.sh
WORKDIR /home/wiremock
EXPOSE 8080
ENTRYPOINT ["/docker-entrypoint.sh"]
