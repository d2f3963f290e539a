# syntax=docker/dockerfile:1
# auth-server's image. Build from the repository root:
#
#   docker build -f deploy/docker/auth-server.Dockerfile -t wallabag-auth-server .
#
# The builder compiles the one binary in release mode; the runtime image
# has that binary, bash (for the health check and the bootstrap script) and
# jq (bootstrap reads the admin commands' JSON), and runs as an
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
    cargo build --release --locked -p auth-server \
    && install -m 0755 target/release/auth-server /usr/local/bin/auth-server

FROM debian:bookworm-slim
# jq for bootstrap.sh; nothing else beyond the base image.
# Not version-pinned: Debian's stable updates are security fixes, and the
# archive drops the versions they replace.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends jq \
    && rm -rf /var/lib/apt/lists/*
# A fixed numeric uid, so Kubernetes can check runAsNonRoot. /bootstrap is
# created here, owned by that user, so that a new named volume mounted
# there (compose's bootstrap volume) starts out writable by it.
RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --no-create-home --shell /usr/sbin/nologin app \
    && install -d -o app -g app -m 0700 /bootstrap
COPY --from=builder /usr/local/bin/auth-server /usr/local/bin/auth-server
COPY --chmod=0755 deploy/docker/healthcheck.sh /usr/local/bin/healthcheck
COPY --chmod=0755 deploy/docker/bootstrap.sh /usr/local/bin/bootstrap
USER 10001:10001
# The binary's default (127.0.0.1) would be unreachable from outside the
# container.
ENV LISTEN_ADDR=0.0.0.0:8081 \
    LOG_FORMAT=json
EXPOSE 8081
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
    CMD ["healthcheck", "/healthz"]
ENTRYPOINT ["auth-server"]
CMD ["serve"]
