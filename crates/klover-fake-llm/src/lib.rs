//! klover-fake-llm (being built).
