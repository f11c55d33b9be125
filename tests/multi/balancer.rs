//! HAProxy as a child process in front of the instances: round robin, no stickiness, a
//! health check on `/readyz`, and a response header naming the server that answered.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// The header HAProxy adds to every response: the name of the server behind it.
pub const SERVED_BY: &str = "x-klover-instance";

/// A running HAProxy.
pub struct Balancer {
    child: Child,
    pub addr: String,
    _dir: tempfile::TempDir,
}

/// A port nobody listens on now (for the balancer, chosen before the instances start:
/// they must know the public origin).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn haproxy() -> PathBuf {
    install_deps();
    PathBuf::from("/usr/sbin/haproxy")
}

/// Installs HAProxy and docker-compose if missing (once per test binary).
pub fn install_deps() {
    static INSTALLED: std::sync::OnceLock<()> = std::sync::OnceLock::new();
    INSTALLED.get_or_init(install);
}

fn install() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let out = Command::new(root.join("scripts/install-multi-deps.sh"))
        .output()
        .expect("running scripts/install-multi-deps.sh");
    assert!(
        out.status.success(),
        "HAProxy and docker-compose are needed and could not be installed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The configuration for `servers` (`(name, addr)`) behind `port`.
fn config(port: u16, servers: &[(&str, &str)]) -> String {
    let mut cfg = format!(
        "global\n  maxconn 2000\n\
         defaults\n  mode http\n  timeout connect 2s\n  timeout client 120s\n  \
         timeout server 120s\n  timeout tunnel 1h\n  retries 3\n  option redispatch\n\
         frontend klover\n  bind 127.0.0.1:{port}\n  default_backend instances\n\
         backend instances\n  balance roundrobin\n  option httpchk\n  \
         http-check send meth GET uri /readyz ver HTTP/1.1 hdr Host 127.0.0.1:{port}\n  \
         http-response set-header {SERVED_BY} %[srv_name]\n"
    );
    for (name, addr) in servers {
        cfg.push_str(&format!(
            "  server {name} {addr} check inter 300ms fall 1 rise 1\n"
        ));
    }
    cfg
}

impl Balancer {
    /// Starts HAProxy on `port` in front of `servers` and waits until it accepts
    /// connections.
    pub async fn start(port: u16, servers: &[(&str, &str)]) -> Balancer {
        let bin = haproxy();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("haproxy.cfg");
        std::fs::write(&path, config(port, servers)).unwrap();
        let child = Command::new(bin)
            .arg("-db")
            .arg("-f")
            .arg(&path)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("starting haproxy");
        let addr = format!("127.0.0.1:{port}");
        let up = async {
            while tokio::net::TcpStream::connect(&addr).await.is_err() {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        };
        tokio::time::timeout(Duration::from_secs(20), up)
            .await
            .expect("haproxy did not listen within 20 s");
        Balancer {
            child,
            addr,
            _dir: dir,
        }
    }

    /// The websocket URL through the balancer.
    pub fn ws_url(&self) -> String {
        format!("ws://{}/ws", self.addr)
    }
}

impl Drop for Balancer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
