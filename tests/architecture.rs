//! The folder tree is the architecture: the domain crate stays pure. This test asks cargo
//! for the domain's normal dependency tree and fails if an I/O crate crept in.

use std::process::Command;

#[test]
fn the_domain_crate_depends_on_no_runtime_database_web_or_llm_client() {
    let out = Command::new(env!("CARGO"))
        .args([
            "tree",
            "-p",
            "klover-domain",
            "-e",
            "normal",
            "--prefix",
            "none",
            "--offline",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("run cargo tree");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let tree = String::from_utf8_lossy(&out.stdout);
    assert!(
        tree.contains("klover-domain"),
        "unexpected cargo tree output:\n{tree}"
    );
    let crates: Vec<&str> = tree
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    assert!(
        crates.contains(&"petgraph"),
        "the tree should list the domain's own dependencies"
    );
    for forbidden in ["tokio", "sqlx", "axum", "async-openai", "reqwest", "hyper"] {
        assert!(
            !crates.contains(&forbidden),
            "klover-domain must not depend on {forbidden}:\n{tree}"
        );
    }
}
