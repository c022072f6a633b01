//! Free loopback ports.
//!
//! A test picks a port and a connector or broker process binds it a moment later (and binds it
//! again after a restart). The ports are chosen as the demo chooses its services' ports
//! ([`deploy::demo::layout::free_port`]): from below the kernel's ephemeral range
//! (`net.ipv4.ip_local_port_range`), which the kernel never hands out on its own, so neither an
//! outgoing connection (its source port) nor a `bind` to port 0 — of this process, a service it
//! started, or anyone else on the machine — can take the port in between; inside the process a
//! port is handed out once.

/// A port on 127.0.0.1 that is free now, lies below the kernel's ephemeral range where there
/// is room, and was not handed out before in this process.
pub fn free_port() -> u16 {
    deploy::demo::layout::free_port().unwrap_or_else(|e| panic!("{e}"))
}
