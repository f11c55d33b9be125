//! `klover serve` as a child process: started on port 0 over a given database, its stderr
//! read line by line (to learn its address and when it reached a fault point), killed with
//! SIGKILL or stopped with SIGTERM (a graceful shutdown, as a rolling restart does).

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::mpsc;

/// How long the suite waits for a child to start or reach a point before failing.
pub const HANG_GUARD: Duration = Duration::from_secs(60);

/// A running `klover serve`.
pub struct Server {
    child: Child,
    pub addr: String,
    lines: mpsc::UnboundedReceiver<String>,
    /// Everything it printed, for failure messages.
    pub stderr: Arc<Mutex<Vec<String>>>,
}

impl Server {
    /// Starts `klover serve` over `db_url` with `envs` and waits for "serving on".
    pub async fn start(db_url: &str, envs: &[(&str, String)]) -> Server {
        Server::start_on(db_url, envs, "127.0.0.1:0").await
    }

    /// As [`Server::start`], listening on `bind` (a restarted instance takes its old
    /// address again: the balancer's configuration names it).
    pub async fn start_on(db_url: &str, envs: &[(&str, String)], bind: &str) -> Server {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_klover"));
        cmd.args(["serve", "--bind", bind])
            .env("KLOVER_DATABASE_URL", db_url)
            .env("KLOVER_CURRICULUM_DIR", crate::support::curriculum_dir())
            .env("KLOVER_REPLY_LEASE_MS", "1000")
            .env("KLOVER_RATE_PER_MINUTE", "60000")
            .env("KLOVER_RATE_BURST", "10000")
            .env("RUST_LOG", "warn")
            .env_remove("DATABASE_URL")
            .env_remove("KLOVER_FAULT_PAUSE")
            .env_remove("KLOVER_FAULT_PANIC")
            .env_remove("KLOVER_LLM_BASE_URL")
            .env_remove("KLOVER_LLM_API_KEY")
            .env_remove("OPENAI_API_KEY")
            .env_remove("KLOVER_OFFLINE_DELTA_DELAY_MS")
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        for (k, v) in envs {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().unwrap();
        let stderr = child.stderr.take().unwrap();
        let (tx, rx) = mpsc::unbounded_channel();
        let all = Arc::new(Mutex::new(Vec::new()));
        let keep = all.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                keep.lock().unwrap().push(line.clone());
                let _ = tx.send(line);
            }
        });
        let mut server = Server {
            child,
            addr: String::new(),
            lines: rx,
            stderr: all,
        };
        let line = server.wait_line("serving on http://").await;
        let rest = line.split("serving on http://").nth(1).unwrap();
        server.addr = rest.split_whitespace().next().unwrap().to_owned();
        server
    }

    /// The websocket URL.
    pub fn ws_url(&self) -> String {
        format!("ws://{}/ws", self.addr)
    }

    /// Waits for a stderr line containing `needle`; returns it.
    pub async fn wait_line(&mut self, needle: &str) -> String {
        let wait = async {
            while let Some(line) = self.lines.recv().await {
                if line.contains(needle) {
                    return Some(line);
                }
            }
            None
        };
        match tokio::time::timeout(HANG_GUARD, wait).await {
            Ok(Some(line)) => line,
            Ok(None) => panic!("klover exited before `{needle}`:\n{}", self.log()),
            Err(_) => panic!("no `{needle}` within {HANG_GUARD:?}:\n{}", self.log()),
        }
    }

    /// Waits until the server reached fault point `point` (and stopped there); false
    /// after [`HANG_GUARD`].
    pub async fn reached(&mut self, point: &str) -> bool {
        let needle = format!("fault point reached: {point}");
        let wait = async {
            while let Some(line) = self.lines.recv().await {
                if line.contains(&needle) {
                    return true;
                }
            }
            false
        };
        tokio::time::timeout(HANG_GUARD, wait)
            .await
            .unwrap_or(false)
    }

    /// Waits until the server reached fault point `point` (and stopped there).
    pub async fn wait_point(&mut self, point: &str) {
        self.wait_line(&format!("fault point reached: {point}"))
            .await;
    }

    /// What it printed so far.
    pub fn log(&self) -> String {
        self.stderr.lock().unwrap().join("\n")
    }

    /// SIGTERM (a graceful shutdown), and wait up to [`HANG_GUARD`] for the process to
    /// exit; returns what it printed. Panics if it did not exit, or exited with a failure.
    #[allow(dead_code)] // used by tests/multi (rolling restarts), not by the fault suite
    pub async fn terminate(mut self) -> String {
        let pid = self.child.id().to_string();
        let sent = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        assert!(sent.success(), "kill -TERM {pid} failed");
        let deadline = std::time::Instant::now() + HANG_GUARD;
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "klover did not exit within {HANG_GUARD:?} of SIGTERM:\n{}",
                self.log()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        assert!(
            status.success(),
            "klover exited with {status} after SIGTERM:\n{}",
            self.log()
        );
        self.log()
    }

    /// SIGKILL, and wait for the process to be gone.
    pub fn kill9(mut self) -> String {
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.log()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
