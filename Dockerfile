# syntax=docker/dockerfile:1
# Contact Center AI Orchestrator: one multi-stage build, two images.
#   docker build --target ingress   -t ccai-ingress .
#   docker build --target processor -t ccai-processor .
# The build stage compiles with the cmake preset `release`; the runtime stages carry only the
# shared libraries the binaries link against, ca-certificates (TLS to MSK and OpenAI) and
# one binary each. ccai-devbroker is never copied into an image. The default pipeline
# configuration is compiled into ccai-processor, so no config file is shipped.

############################
# build: compile both services
############################
FROM debian:12.11-slim AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      build-essential cmake pkg-config ca-certificates \
      librdkafka-dev libmicrohttpd-dev libjansson-dev libcurl4-openssl-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
# Preset `release`: -O2 -D_FORTIFY_SOURCE=2, no tests (CCAI_BUILD_TESTS=OFF), build dir
# build-release. Only the two service targets are built (no devbroker, no test tools).
RUN cmake --preset release \
 && cmake --build build-release --parallel "$(nproc)" --target ccai-ingress ccai-processor \
 && install -d /out \
 && install -m 0755 -s build-release/bin/ccai-ingress build-release/bin/ccai-processor /out/

############################
# runtime: shared base of both images
############################
FROM debian:12.11-slim AS runtime
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      librdkafka1 libmicrohttpd12 libjansson4 libcurl4 ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 ccai \
 && useradd --system --uid 10001 --gid 10001 --no-create-home \
      --home-dir /nonexistent --shell /usr/sbin/nologin ccai
ENV LOG_LEVEL=info
USER 10001:10001
WORKDIR /
# ECS sends SIGTERM and then SIGKILL after the stop timeout (30 s): the binaries drain,
# flush the producer and commit on SIGTERM.
STOPSIGNAL SIGTERM

############################
# processor: Kafka consumer group + LLM calls, admin HTTP on 8001
############################
FROM runtime AS processor
COPY --from=build /out/ccai-processor /usr/local/bin/ccai-processor
ENV PROCESSOR_PORT=8001
EXPOSE 8001
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
  CMD ["/usr/local/bin/ccai-processor", "--healthcheck"]
ENTRYPOINT ["/usr/local/bin/ccai-processor"]

############################
# ingress: HTTP API on 8000, produces to Kafka (the default target)
############################
FROM runtime AS ingress
COPY --from=build /out/ccai-ingress /usr/local/bin/ccai-ingress
ENV PORT=8000
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=5s --start-period=15s --retries=3 \
  CMD ["/usr/local/bin/ccai-ingress", "--healthcheck"]
ENTRYPOINT ["/usr/local/bin/ccai-ingress"]
