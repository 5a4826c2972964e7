# Weir worker image.
#   docker build -t weir .
#   docker run -v $PWD/config/worker.yaml:/etc/weir/worker.yaml:ro -p 8083:8083 weir
# The worker config is a mounted file; connector configs may be mounted too and passed with
# `--connector /etc/weir/connectors/<file>.yaml`. WebAssembly connectors go in a mounted
# directory named by `plugin.path` (e.g. /etc/weir/plugins); compiled code is cached under
# /var/lib/weir/.cache/weir/plugins.

FROM rust:1.95-bookworm AS build
WORKDIR /src
# librdkafka is built from source by rdkafka-sys; it links the system's OpenSSL and zlib.
RUN apt-get update \
    && apt-get install -y --no-install-recommends libssl-dev zlib1g-dev pkg-config \
    && rm -rf /var/lib/apt/lists/*
COPY . .
ARG WEIR_COMMIT=unknown
ENV WEIR_COMMIT=${WEIR_COMMIT}
RUN cargo build --release --locked --bin weir \
    && cp target/release/weir /usr/local/bin/weir

FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates libssl3 zlib1g \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /var/lib/weir --create-home weir \
    && mkdir -p /etc/weir/connectors /etc/weir/plugins
COPY --from=build /usr/local/bin/weir /usr/local/bin/weir
USER weir
WORKDIR /var/lib/weir
EXPOSE 8083
ENTRYPOINT ["weir", "worker"]
CMD ["--config", "/etc/weir/worker.yaml"]
