//! review (being built).
