# syntax=docker/dockerfile:1
# api-server's image. Build from the repository root:
#
#   docker build -f deploy/docker/api-server.Dockerfile -t wallabag-api-server .
#
# The builder compiles the one binary in release mode; the runtime image
# has that binary, bash (for the health check and the entrypoint) and the CA
# certificates article fetching verifies TLS against, and runs as an
# unprivileged user.

# The toolchain the project is developed and tested with.
ARG RUST_VERSION=1.95
FROM rust:${RUST_VERSION}-bookworm AS builder
WORKDIR /src
COPY . .
# Cache mounts keep the crate downloads and the build folder between
# builds; the binary is copied out in the same step, since a cache mount is
# not part of the image.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target,id=wallabag-target \
    cargo build --release --locked -p api-server \
    && install -m 0755 target/release/api-server /usr/local/bin/api-server

FROM debian:bookworm-slim
# reqwest verifies fetched sites against the system's trust store.
# Not version-pinned: Debian's stable updates are security fixes, and the
# archive drops the versions they replace.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/*
# A fixed numeric uid, so Kubernetes can check runAsNonRoot; the same as
# auth-server's, so both can use compose's bootstrap volume.
RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --no-create-home --shell /usr/sbin/nologin app \
    && install -d -o app -g app -m 0700 /bootstrap
COPY --from=builder /usr/local/bin/api-server /usr/local/bin/api-server
COPY --chmod=0755 deploy/docker/healthcheck.sh /usr/local/bin/healthcheck
COPY --chmod=0755 deploy/docker/api-server-entrypoint.sh /usr/local/bin/api-server-entrypoint
USER 10001:10001
# The binary's default (127.0.0.1) would be unreachable from outside the
# container.
ENV LISTEN_ADDR=0.0.0.0:8082 \
    LOG_FORMAT=json
EXPOSE 8082
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
    CMD ["healthcheck", "/healthz"]
ENTRYPOINT ["api-server-entrypoint"]
CMD ["serve"]
