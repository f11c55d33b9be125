//! A fake OpenAI-compatible server to run by hand (or from a browser test) in front of
//! `klover serve`: streamed requests get a short tutor-like reply word by word, judge
//! requests (not streamed) get an empty verdict, so the rubric decides.
//!
//! ```sh
//! cargo run -p klover-fake-llm -- 127.0.0.1:8089
//! KLOVER_LLM_BASE_URL=http://127.0.0.1:8089/v1 klover serve
//! ```

use std::time::Duration;

use klover_fake_llm::{FakeLlm, Reply};

const VERDICT: &str = r#"{"checkpoints":[],"misconceptions":[],"asked_question":false,"asked_for_answer":false,"dont_know":false,"off_topic":false}"#;

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:8089".into());
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    let fake = FakeLlm::serve(listener);
    fake.set_responder(|req| {
        if req.is_stream() {
            Reply::text("(fake LLM) Interesting. What makes you say that?")
                .first_token_after(Duration::from_millis(200))
                .chunk_interval(Duration::from_millis(40))
        } else {
            Reply::text(VERDICT)
        }
    });
    eprintln!(
        "klover-fake-llm listening: KLOVER_LLM_BASE_URL={}",
        fake.base_url()
    );
    tokio::signal::ctrl_c().await?;
    Ok(())
}
