//! Prometheus metrics: one process-wide recorder (the `metrics` facade allows one), its
//! handle rendered at `/metrics`, and the names used across the server in one place.

use std::sync::OnceLock;

use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

/// Open websocket connections (gauge).
pub const CONNECTIONS: &str = "klover_ws_connections";
/// Learner turns handled (counter, label `voice`).
pub const TURNS: &str = "klover_turns_total";
/// Tutor moves chosen (counter, label `move`).
pub const MOVES: &str = "klover_moves_total";
/// Seconds from the LLM request to its last delta (histogram).
pub const UPSTREAM_LATENCY: &str = "klover_upstream_latency_seconds";
/// LLM tokens (counter, label `kind` = prompt | completion).
pub const TOKENS: &str = "klover_llm_tokens_total";
/// Errors sent to clients or logged (counter, label `kind`).
pub const ERRORS: &str = "klover_errors_total";
/// Tutor replies that stated a checkpoint too early (counter).
pub const LEAK_CHECK_HITS: &str = "klover_leak_check_hits_total";
/// Aha moments (counter).
pub const AHAS: &str = "klover_aha_total";
/// Commits of the store's write path (counter, read from the store at each scrape).
pub const STORE_COMMITS: &str = "klover_store_commits_total";
/// Writes acknowledged through group commit (counter, read at each scrape): with
/// [`STORE_COMMITS`], how many writes a commit holds.
pub const STORE_GROUPED_WRITES: &str = "klover_store_grouped_writes_total";

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// Installs the recorder once per process and returns its handle; `None` if another
/// recorder was installed first (metrics then go there and `/metrics` says so).
pub fn handle() -> Option<PrometheusHandle> {
    HANDLE
        .get_or_init(|| {
            let handle = PrometheusBuilder::new().install_recorder().ok()?;
            describe();
            zero();
            Some(handle)
        })
        .clone()
}

fn describe() {
    metrics::describe_gauge!(CONNECTIONS, "open websocket connections");
    metrics::describe_counter!(TURNS, "learner turns handled");
    metrics::describe_counter!(MOVES, "tutor moves chosen, by move");
    metrics::describe_histogram!(UPSTREAM_LATENCY, "LLM reply duration in seconds");
    metrics::describe_counter!(TOKENS, "LLM tokens used, by kind");
    metrics::describe_counter!(ERRORS, "errors, by kind");
    metrics::describe_counter!(
        LEAK_CHECK_HITS,
        "tutor replies caught stating a checkpoint early"
    );
    metrics::describe_counter!(AHAS, "aha moments detected");
    metrics::describe_counter!(STORE_COMMITS, "commits of the store's write path");
    metrics::describe_counter!(
        STORE_GROUPED_WRITES,
        "writes acknowledged after a group commit"
    );
}

/// Registers the series a scraper should see before the first event, at zero: a
/// `/metrics` that lists nothing until the first turn cannot be told from a broken one,
/// and `rate()` needs the zero to start from.
fn zero() {
    metrics::gauge!(CONNECTIONS).set(0.0);
    for voice in ["offline", "llm"] {
        metrics::counter!(TURNS, "voice" => voice).absolute(0);
    }
    for kind in ["prompt", "completion"] {
        metrics::counter!(TOKENS, "kind" => kind).absolute(0);
    }
    for kind in ["internal", "turn", "upstream"] {
        metrics::counter!(ERRORS, "kind" => kind).absolute(0);
    }
    for name in [
        AHAS,
        LEAK_CHECK_HITS,
        "klover_llm_retries_total",
        "klover_canary_hits_total",
        "klover_prompt_echo_hits_total",
        "klover_judge_fallbacks_total",
    ] {
        metrics::counter!(name).absolute(0);
    }
}

/// Counts an error of this kind.
pub fn error(kind: &'static str) {
    metrics::counter!(ERRORS, "kind" => kind).increment(1);
}
