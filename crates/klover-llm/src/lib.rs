//! klover-llm (being built).
