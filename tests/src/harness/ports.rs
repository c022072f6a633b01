//! Free loopback ports.
//!
//! A test picks a port and a connector or broker process binds it a moment later (and binds it
//! again after a restart). Ports are taken from below the kernel's ephemeral range
//! (`net.ipv4.ip_local_port_range`): the kernel never hands those out on its own, so neither an
//! outgoing connection (its source port) nor a `bind` to port 0 — of this process, a service it
//! started, or anyone else on the machine — can take the port in between. Inside the process a
//! port is handed out once.

use std::collections::HashSet;
use std::net::TcpListener;
use std::sync::Mutex;

/// The lowest port handed out.
const FIRST: u16 = 10_000;

/// Below this many ports under the ephemeral range, the ephemeral range itself is used.
const ENOUGH: u16 = 2_000;

struct Handed {
    ports: HashSet<u16>,
    next: u32,
}

static HANDED_OUT: Mutex<Option<Handed>> = Mutex::new(None);

/// The first port of the kernel's ephemeral range (32768 when it cannot be read).
fn ephemeral_start() -> u16 {
    std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
        .ok()
        .and_then(|t| t.split_whitespace().next()?.parse().ok())
        .unwrap_or(32_768)
}

/// A start that differs between processes (test binaries run by several people at once).
fn start_offset(span: u32) -> u32 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    (std::process::id().wrapping_mul(7_919) ^ nanos) % span
}

/// A port on 127.0.0.1 that is free now, lies below the kernel's ephemeral range (so it stays
/// free until a test's process binds it, see the module documentation), and was not handed out
/// before in this process. On a machine without room below the ephemeral range: a port the
/// kernel chose (the window until it is bound is short).
pub fn free_port() -> u16 {
    let ephemeral = ephemeral_start();
    let mut guard = HANDED_OUT.lock().unwrap_or_else(|e| e.into_inner());
    if ephemeral < FIRST.saturating_add(ENOUGH) {
        return kernel_port(&mut guard);
    }
    let span = u32::from(ephemeral - FIRST);
    let handed = guard.get_or_insert_with(|| Handed {
        ports: HashSet::new(),
        next: start_offset(span),
    });
    for _ in 0..span {
        let port = FIRST + (handed.next % span) as u16;
        handed.next = handed.next.wrapping_add(1);
        if handed.ports.contains(&port) {
            continue;
        }
        if TcpListener::bind(("127.0.0.1", port)).is_ok() {
            handed.ports.insert(port);
            return port;
        }
    }
    panic!("no free port on 127.0.0.1 between {FIRST} and {ephemeral}");
}

/// A port the kernel chose, not handed out before in this process.
fn kernel_port(guard: &mut Option<Handed>) -> u16 {
    let handed = guard.get_or_insert_with(|| Handed {
        ports: HashSet::new(),
        next: 0,
    });
    loop {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind an ephemeral port");
        let port = listener.local_addr().expect("local address").port();
        drop(listener);
        if handed.ports.insert(port) {
            return port;
        }
    }
}
