//! assess (being built).
