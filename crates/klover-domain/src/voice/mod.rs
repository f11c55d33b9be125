//! voice (being built).
