//! Rebuilds the store when a migration changes: `sqlx::migrate!` embeds them at compile time.

fn main() {
    // Cargo reads build-script instructions from stdout.
    #[allow(clippy::print_stdout)]
    {
        println!("cargo:rerun-if-changed=../../migrations");
    }
}
