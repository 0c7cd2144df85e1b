# Stand-in for python:3.X-slim on a machine that cannot pull images (scripts/build-base-images):
# Debian trixie with a CPython build of this machine copied into /usr/local, as the official image has it.
FROM chainprobe-standin/trixie:base
COPY python /usr/local
RUN ldconfig && python3 --version
CMD ["python3"]
