#!/bin/sh
# As the official image's entrypoint: options (arguments starting with '-') start WireMock with them.
set -e
case "${1:-}" in
    ""|-*) exec java $JAVA_OPTS -cp '/var/wiremock/lib/*:/var/wiremock/extensions/*' wiremock.Run "$@" ;;
esac
exec "$@"
