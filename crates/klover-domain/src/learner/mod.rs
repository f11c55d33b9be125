//! learner (being built).
