//! The Docker files a user runs: docker-compose.yml validated by Compose itself (`config`;
//! no image is built here), and the properties that make it work checked on what Compose
//! resolved: a database health check the instances wait for, restarts, two replicas with no
//! fixed host port, a balancer from an official image. The Dockerfile and .dockerignore
//! are read for what the image needs (dependency caching, CA certificates, a non-root
//! user, a health check on /readyz).

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_yaml::Value;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `docker compose config` (the plugin) when there, else `docker-compose config`.
fn compose_config(dir: &Path) -> std::process::Output {
    let plugin = Command::new("docker").args(["compose", "version"]).output();
    let mut cmd = if plugin.is_ok_and(|o| o.status.success()) {
        let mut c = Command::new("docker");
        c.arg("compose");
        c
    } else {
        Command::new("docker-compose")
    };
    cmd.arg("config")
        .current_dir(dir)
        .output()
        .expect("running compose")
}

#[test]
fn compose_validates_and_runs_two_replicas_behind_a_balancer() {
    crate::balancer::install_deps();
    let out = compose_config(&root());
    assert!(
        out.status.success(),
        "docker-compose.yml does not validate:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let config: Value = serde_yaml::from_slice(&out.stdout).unwrap();
    let services = &config["services"];
    let pg = &services["postgres"];
    assert!(
        pg["healthcheck"]["test"].is_sequence(),
        "postgres has a health check"
    );
    let klover = &services["klover"];
    assert_eq!(
        klover["depends_on"]["postgres"]["condition"],
        "service_healthy"
    );
    assert_eq!(klover["deploy"]["replicas"], 2);
    assert!(
        klover["ports"].is_null(),
        "no fixed host port on the replicas (it would block --scale)"
    );
    let balancer = &services["balancer"];
    assert!(balancer["image"].as_str().unwrap().starts_with("haproxy:"));
    for name in ["postgres", "klover", "balancer"] {
        assert_eq!(services[name]["restart"], "unless-stopped", "{name}");
    }
    let compose = std::fs::read_to_string(root().join("docker-compose.yml")).unwrap();
    assert!(
        compose.contains("klover token create"),
        "the first-token command is in a comment"
    );
    let haproxy = std::fs::read_to_string(root().join("deploy/haproxy.cfg")).unwrap();
    assert!(haproxy.contains("balance roundrobin") && !haproxy.contains("cookie"));
}

#[test]
fn the_image_caches_dependencies_and_runs_as_a_user_with_a_health_check() {
    let dockerfile = std::fs::read_to_string(root().join("Dockerfile")).unwrap();
    for needed in [
        "cargo chef cook",
        "ca-certificates",
        "USER klover",
        "HEALTHCHECK",
        "/readyz",
    ] {
        assert!(
            dockerfile.contains(needed),
            "the Dockerfile lacks `{needed}`"
        );
    }
    let ignored = std::fs::read_to_string(root().join(".dockerignore")).unwrap();
    assert!(ignored.lines().any(|l| l.trim() == "target/"));
}
