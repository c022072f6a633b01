//! The broker's resident memory, read from `/proc/self/status` (Linux). Elsewhere the memory
//! guard of the SPARQL endpoint is off and only the time limit applies.

/// Resident set size in bytes, if the platform tells.
pub(super) fn resident_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kib: u64 = line
        .trim_start_matches("VmRSS:")
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kib * 1024)
}

#[cfg(test)]
mod tests {
    #[test]
    fn resident_memory_is_read_on_linux() {
        if cfg!(target_os = "linux") {
            let rss = super::resident_bytes().expect("VmRSS");
            assert!(rss > 1024 * 1024, "{rss}");
        }
    }
}
