//! prompt (being built).
