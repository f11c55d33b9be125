//! Aha detection (being built).
