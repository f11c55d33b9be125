# The two commands of the README, and the checks CI runs.
.PHONY: run test check

## Start the service with its defaults: http://127.0.0.1:3000
run:
	cargo run -- serve

## The whole test suite: unit, property, store (SQLite and PostgreSQL), end-to-end, browser.
test:
	scripts/ensure-services.sh
	cargo test --workspace

## What CI runs before the tests: formatting, lints, the API docs without a broken link,
## and no dependency declared but unused (cargo-machete: installed on first use, about 3 min
## of one core; it runs in 2 s).
check:
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets -- -D warnings
	RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps
	command -v cargo-machete >/dev/null || cargo install cargo-machete --version 0.9.2 --locked
	cargo machete
