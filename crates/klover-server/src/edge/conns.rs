//! Connection caps: a total and a per-IP count of open TCP connections. Admission hands
//! out a [`ConnPermit`] whose `Drop` gives the slot back, so a connection that ends in any
//! way (an error, a panic, an upgraded websocket closing) cannot strand it.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, MutexGuard};

/// Open connections, in total and by IP address.
#[derive(Debug)]
pub struct ConnCaps {
    total_max: usize,
    per_ip_max: usize,
    /// Open connections by IP; the total is the sum (one lock, so both move together).
    open: Mutex<Counts>,
}

#[derive(Debug, Default)]
struct Counts {
    total: usize,
    by_ip: HashMap<IpAddr, usize>,
}

/// One admitted connection's slot, given back on drop.
#[derive(Debug)]
pub struct ConnPermit {
    caps: Arc<ConnCaps>,
    ip: IpAddr,
}

impl ConnCaps {
    /// Caps of `total_max` connections and `per_ip_max` from one address (each ≥ 1).
    pub fn new(total_max: usize, per_ip_max: usize) -> Arc<Self> {
        Arc::new(Self {
            total_max: total_max.max(1),
            per_ip_max: per_ip_max.max(1),
            open: Mutex::new(Counts::default()),
        })
    }

    fn counts(&self) -> MutexGuard<'_, Counts> {
        // A panic while holding this lock cannot leave the counts half-updated.
        self.open
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// A slot for a connection from `ip`, or `None` when a cap is reached.
    pub fn admit(self: &Arc<Self>, ip: IpAddr) -> Option<ConnPermit> {
        let mut counts = self.counts();
        let from_ip = counts.by_ip.get(&ip).copied().unwrap_or(0);
        if counts.total >= self.total_max || from_ip >= self.per_ip_max {
            return None;
        }
        counts.total += 1;
        counts.by_ip.insert(ip, from_ip + 1);
        Some(ConnPermit {
            caps: self.clone(),
            ip,
        })
    }

    /// Open connections now.
    pub fn open(&self) -> usize {
        self.counts().total
    }

    /// The total cap in force.
    pub fn total_max(&self) -> usize {
        self.total_max
    }
}

impl Drop for ConnPermit {
    fn drop(&mut self) {
        let mut counts = self.caps.counts();
        counts.total = counts.total.saturating_sub(1);
        if let Some(n) = counts.by_ip.get_mut(&self.ip) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                counts.by_ip.remove(&self.ip);
            }
        }
    }
}

/// The soft limit on open files of this process (Linux), if it can be read.
pub fn open_file_limit() -> Option<usize> {
    let text = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = text.lines().find(|l| l.starts_with("Max open files"))?;
    line.split_whitespace().nth(3)?.parse().ok()
}

/// The total cap in force: the configured one, kept 64 below the open-file limit so that
/// the database, curriculum files and logs still get descriptors when the cap is reached.
pub fn effective_total(configured: usize) -> usize {
    match open_file_limit() {
        Some(files) => configured.min(files.saturating_sub(64).max(1)),
        None => configured,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permits_count_per_ip_and_in_total_and_come_back_on_drop() {
        let caps = ConnCaps::new(3, 2);
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        let b: IpAddr = "10.0.0.2".parse().unwrap();
        let a1 = caps.admit(a).unwrap();
        let _a2 = caps.admit(a).unwrap();
        assert!(caps.admit(a).is_none(), "per-IP cap");
        let _b1 = caps.admit(b).unwrap();
        assert!(caps.admit(b).is_none(), "total cap");
        drop(a1);
        assert_eq!(caps.open(), 2);
        assert!(caps.admit(b).is_some(), "a dropped permit frees its slot");
    }

    #[test]
    fn the_open_file_limit_is_read_on_linux() {
        if cfg!(target_os = "linux") {
            assert!(open_file_limit().is_some_and(|n| n > 0));
        }
    }
}
