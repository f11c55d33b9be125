# syntax=docker/dockerfile:1
# Release image of `klover serve`: see docker-compose.yml and docs/operations.md
# ("Several instances", "Docker").
#
# Dependencies build in a layer of their own (cargo-chef): a change to Klover's code
# rebuilds Klover, not the ~400 crates under it.

FROM lukemathwalker/cargo-chef:latest-rust-1.95-bookworm AS chef
WORKDIR /src

# The recipe: every manifest and lock entry, no code.
FROM chef AS plan
COPY . .
RUN cargo chef prepare --recipe-path recipe.json

FROM chef AS build
COPY --from=plan /src/recipe.json recipe.json
RUN cargo chef cook --release --recipe-path recipe.json --bin klover
COPY . .
RUN cargo build --release --bin klover

FROM debian:bookworm-slim AS runtime
# ca-certificates: the LLM client (rustls) refuses to start without a CA store, even for
# plain-HTTP upstreams; curl: the health check below.
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates curl \
    && rm -rf /var/lib/apt/lists/*
RUN useradd --system --uid 10001 --user-group --home-dir /srv/klover --shell /usr/sbin/nologin klover
COPY --from=build /src/target/release/klover /usr/local/bin/klover
COPY --from=build /src/curriculum /srv/klover/curriculum
RUN chown klover:klover /srv/klover
WORKDIR /srv/klover
USER klover
EXPOSE 3000
# Ready = the database answers (what a balancer should route by).
HEALTHCHECK --interval=10s --timeout=3s --start-period=60s --retries=3 \
    CMD curl -fsS http://127.0.0.1:3000/readyz >/dev/null || exit 1
CMD ["klover", "serve", "--bind", "0.0.0.0:3000"]
