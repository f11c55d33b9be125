//! The engine: one learner turn through assess, learner model, aha, policy and voice (being built).
