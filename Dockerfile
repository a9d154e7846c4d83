# syntax=docker/dockerfile:1
#
# tvshows container image.
#
#   docker build -t tvshows .
#   docker run --rm -p 3000:3000 tvshows                 # API on SQLite, nothing else needed
#   docker run --rm tvshows migrate|worker|import|jobs stats|version
#
# Stage 1 compiles a release build on Debian 12 with the -dev packages.
# Stage 2 is debian:12-slim with only the shared libraries the binary links
# against (tests/policy checks this list against `ldd`), running as a
# non-root user.

############################ build ############################
FROM debian:12 AS build

ARG DEBIAN_FRONTEND=noninteractive
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      build-essential \
      meson \
      ninja-build \
      pkg-config \
      libpq-dev \
      libsqlite3-dev \
      libhiredis-dev \
      libjansson-dev \
      libssl-dev \
      libcurl4-openssl-dev \
      libdeflate-dev \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /src
# Only what the build reads: tests, docs and deploy files stay out of the
# layer cache key (see .dockerignore).
COPY meson.build meson_options.txt ./
COPY src ./src

RUN meson setup build/release --buildtype=release -Dtests=false \
 && ninja -C build/release \
 && strip --strip-unneeded build/release/tvshows \
 && install -D -m 0755 build/release/tvshows /out/usr/local/bin/tvshows \
 && /out/usr/local/bin/tvshows version

########################### runtime ###########################
FROM debian:12-slim AS runtime

ARG DEBIAN_FRONTEND=noninteractive
# Runtime libraries only; keep in step with the -dev packages above.
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      ca-certificates \
      libcurl4 \
      libdeflate0 \
      libhiredis0.14 \
      libjansson4 \
      libpq5 \
      libsqlite3-0 \
      libssl3 \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 tvshows \
 && useradd --system --uid 10001 --gid tvshows --home-dir /var/lib/tvshows \
      --create-home --shell /usr/sbin/nologin tvshows

COPY --from=build /out/usr/local/bin/tvshows /usr/local/bin/tvshows

# The default DATABASE_URL (sqlite:var/tvshows.db) is relative to this
# directory, which the tvshows user owns.
WORKDIR /var/lib/tvshows

ENV HOST=0.0.0.0 PORT=3000 LOG_FORMAT=json
EXPOSE 3000

USER tvshows

# The slim image has no curl: the binary asks http://HOST:PORT/up itself.
# Only meaningful for `serve`; compose disables it for worker/migrate/import,
# and ECS uses the task definition's own healthCheck.
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
  CMD ["tvshows", "healthcheck"]

# SIGTERM starts a graceful shutdown (SHUTDOWN_TIMEOUT, default 25 s).
STOPSIGNAL SIGTERM
ENTRYPOINT ["tvshows"]
CMD ["serve"]
