//! klover-server (being built).
