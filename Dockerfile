# Release image for `docker compose up` (see docker-compose.yml).
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --bin klover

FROM debian:bookworm-slim
COPY --from=build /src/target/release/klover /usr/local/bin/klover
COPY --from=build /src/curriculum /srv/klover/curriculum
WORKDIR /srv/klover
EXPOSE 3000
CMD ["klover", "serve", "--bind", "0.0.0.0:3000"]
