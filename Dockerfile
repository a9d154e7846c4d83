# syntax=docker/dockerfile:1
#
# tvshows container image.
#
#   docker build -t tvshows .
#   docker run --rm -p 3000:3000 tvshows                 # API on SQLite, nothing else needed
#   docker run --rm tvshows migrate|worker|import|jobs stats|version
#
# Stage 1 compiles a release build on Debian 12 with the -dev packages.
# Stage 2 fetches and checks the Amazon RDS CA bundle.
# Stage 3 is debian:12-slim with only the shared libraries the binary links
# against (tests/policy checks this list against `ldd`) and the RDS CA
# bundle, running as a non-root user.

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
      libicu-dev \
      python3 \
      tzdata \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /src
# Only what the build reads: tests, docs and deploy files stay out of the
# layer cache key (see .dockerignore).
COPY meson.build meson_options.txt ./
COPY src ./src
# what the binary embeds at build time: the web app, the OpenAPI document
# it serves and the demo week (recorded TVmaze schedules; `tvshows import --demo`)
COPY tools ./tools
COPY web ./web
COPY docs/openapi.json ./docs/openapi.json
COPY tests/fixtures/tvmaze/schedule-*.json ./tests/fixtures/tvmaze/

RUN meson setup build/release --buildtype=release -Dtests=false \
 && ninja -C build/release \
 && strip --strip-unneeded build/release/tvshows \
 && install -D -m 0755 build/release/tvshows /out/usr/local/bin/tvshows \
 && /out/usr/local/bin/tvshows version

########################### RDS CA ############################
# The CA bundle of Amazon RDS, against which every PostgreSQL connection
# verifies the server (sslmode=verify-full&sslrootcert=/etc/tvshows/
# rds-ca-bundle.pem in DATABASE_URL). Debian's ca-certificates does not
# carry the RDS CAs; AWS publishes the bundle over HTTPS. The build checks
# that what arrived is a bundle of RDS CA certificates, nothing else.
FROM debian:12-slim AS rds-ca

ARG DEBIAN_FRONTEND=noninteractive
ARG RDS_CA_BUNDLE_URL=https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl openssl \
 && rm -rf /var/lib/apt/lists/*
RUN curl -fsS --proto '=https' --tlsv1.2 -o /rds-ca-bundle.pem "$RDS_CA_BUNDLE_URL" \
 && test "$(grep -c -- '-----BEGIN CERTIFICATE-----' /rds-ca-bundle.pem)" -ge 1 \
 && ! grep -v -e '^-----BEGIN CERTIFICATE-----$' -e '^-----END CERTIFICATE-----$' \
      -e '^[A-Za-z0-9+/=]*$' /rds-ca-bundle.pem \
 && openssl crl2pkcs7 -nocrl -certfile /rds-ca-bundle.pem \
      | openssl pkcs7 -print_certs -noout > /subjects.txt \
 && grep -q 'Amazon RDS' /subjects.txt \
 && ! grep '^subject=' /subjects.txt | grep -v 'Amazon RDS'

########################### runtime ###########################
FROM debian:12-slim AS runtime

ARG DEBIAN_FRONTEND=noninteractive
# Runtime libraries only; keep in step with the -dev packages above.
# tzdata: the schedule's time zones are read from its compiled files.
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      ca-certificates \
      libcurl4 \
      libdeflate0 \
      libhiredis0.14 \
      libicu72 \
      libjansson4 \
      libpq5 \
      libsqlite3-0 \
      libssl3 \
      tzdata \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 tvshows \
 && useradd --system --uid 10001 --gid tvshows --home-dir /var/lib/tvshows \
      --create-home --shell /usr/sbin/nologin tvshows

COPY --from=build /out/usr/local/bin/tvshows /usr/local/bin/tvshows
COPY --from=rds-ca --chmod=0644 /rds-ca-bundle.pem /etc/tvshows/rds-ca-bundle.pem

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
