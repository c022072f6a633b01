//! Reading the log: checking the chain ([`verify`]) and listing entries with a filter
//! ([`read_entries`]). Both stream the file line by line (memory stays flat for any size) and
//! work while the connector runs (a last line being written is reported, not counted as a
//! problem) or is stopped.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader};
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::entry::{AuditEntry, AuditKind, GENESIS, LineError, read_line};
use super::{AuditError, head_path};

/// The last sequence number and hash of a log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Head {
    /// The last entry's sequence number.
    pub seq: u64,
    /// Its hash.
    pub hash: String,
}

impl std::str::FromStr for Head {
    type Err = String;

    /// Reads `SEQ:HASH`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (seq, hash) = s
            .split_once(':')
            .ok_or_else(|| format!("{s:?}: expected SEQ:HASH"))?;
        let seq = seq
            .trim()
            .parse()
            .map_err(|_| format!("{seq:?} is not a sequence number"))?;
        let hash = hash.trim().to_ascii_lowercase();
        if hash.len() != 64 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(format!("{hash:?} is not a SHA-256 in hex"));
        }
        Ok(Self { seq, hash })
    }
}

/// One thing wrong with the log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Problem {
    /// The line (from 1; 0 for the log as a whole).
    pub line: u64,
    /// The entry's sequence number, when readable.
    pub seq: Option<u64>,
    /// What is wrong.
    pub message: String,
}

/// The outcome of [`verify`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct VerifyReport {
    /// Complete lines read.
    pub entries: u64,
    /// The last valid entry's sequence number and hash.
    pub last: Option<Head>,
    /// What `audit.head` records.
    pub head: Option<Head>,
    /// The file ends with an incomplete line (being written right now, or torn by a crash;
    /// the connector cuts it off at its next start).
    pub incomplete_tail: bool,
    /// Everything wrong, in file order; empty when the log is intact.
    pub problems: Vec<Problem>,
}

/// Reads `audit.head` of the audit folder `dir`.
pub fn read_head(dir: &Path) -> Result<Option<Head>, AuditError> {
    let path = head_path(dir);
    match std::fs::read_to_string(&path) {
        Ok(text) => serde_json::from_str(&text).map(Some).map_err(|e| {
            AuditError::Corrupt(format!("{}: not a head record: {e}", path.display()))
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(AuditError::Io(format!("{}: {e}", path.display()))),
    }
}

/// Calls `f` for every line with its number and whether it ended with a newline.
fn each_line(path: &Path, mut f: impl FnMut(u64, &str, bool)) -> Result<(), AuditError> {
    let file = std::fs::File::open(path)
        .map_err(|e| AuditError::Io(format!("{}: {e}", path.display())))?;
    let mut reader = BufReader::new(file);
    let mut buf = Vec::new();
    let mut n = 0u64;
    loop {
        buf.clear();
        let read = reader
            .read_until(b'\n', &mut buf)
            .map_err(|e| AuditError::Io(format!("{}: {e}", path.display())))?;
        if read == 0 {
            return Ok(());
        }
        n += 1;
        let complete = buf.last() == Some(&b'\n');
        let text = String::from_utf8_lossy(&buf);
        f(n, text.trim_end_matches('\n'), complete);
    }
}

/// Checks the whole chain of the log at `path` (and its head file, and `expected` when
/// given: a head recorded elsewhere earlier).
pub fn verify(path: &Path, expected: Option<&Head>) -> Result<VerifyReport, AuditError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut report = VerifyReport {
        entries: 0,
        last: None,
        head: None,
        incomplete_tail: false,
        problems: Vec::new(),
    };
    let head = match read_head(dir) {
        Ok(h) => h,
        Err(e) => {
            report.problems.push(Problem {
                line: 0,
                seq: None,
                message: format!("{e} (the head was changed)"),
            });
            None
        }
    };
    report.head.clone_from(&head);
    let mut next_seq = 1u64;
    let mut prev: Option<String> = Some(GENESIS.to_owned());
    let mut anchors: Vec<(&str, &Head, Option<String>)> = Vec::new();
    if let Some(h) = &head {
        anchors.push(("audit.head", h, None));
    }
    if let Some(h) = expected {
        anchors.push(("the expected head", h, None));
    }
    each_line(path, |n, line, complete| {
        if !complete {
            report.incomplete_tail = true;
            return;
        }
        report.entries += 1;
        let problem = |seq: Option<u64>, message: String| Problem {
            line: n,
            seq,
            message,
        };
        match read_line(line) {
            Ok(e) => {
                if e.seq > next_seq {
                    let missing = if e.seq == next_seq + 1 {
                        format!("entry {next_seq} is missing")
                    } else {
                        format!("entries {next_seq}–{} are missing", e.seq - 1)
                    };
                    report.problems.push(problem(
                        Some(e.seq),
                        format!("seq {} where {next_seq} was expected: {missing} (removed, or moved elsewhere)", e.seq),
                    ));
                } else if e.seq < next_seq {
                    report.problems.push(problem(
                        Some(e.seq),
                        format!(
                            "seq {} comes after seq {}: the entries were reordered (or one was repeated)",
                            e.seq,
                            next_seq - 1
                        ),
                    ));
                }
                if let Some(p) = &prev
                    && *p != e.prev
                {
                    report.problems.push(problem(
                        Some(e.seq),
                        "does not chain to the line before it (its prev is not that line's hash): an entry before it was removed, inserted or reordered".into(),
                    ));
                }
                for (_, h, found) in anchors.iter_mut() {
                    if h.seq == e.seq {
                        *found = Some(e.hash.clone());
                    }
                }
                next_seq = e.seq + 1;
                prev = Some(e.hash.clone());
                report.last = Some(super::Head {
                    seq: e.seq,
                    hash: e.hash,
                });
            }
            Err(LineError::Changed) => {
                let seq = serde_json::from_str::<serde_json::Value>(line)
                    .ok()
                    .and_then(|v| v.get("seq").and_then(serde_json::Value::as_u64));
                report.problems.push(problem(
                    seq,
                    "the entry was changed: its content does not match its hash".into(),
                ));
                // Its recorded hash is what the next entry chains to.
                let claimed = line.len().checked_sub(66).and_then(|s| line.get(s..s + 64));
                prev = claimed.map(str::to_owned);
                if let Some(s) = seq {
                    next_seq = s + 1;
                }
            }
            Err(e) => {
                report
                    .problems
                    .push(problem(None, format!("not a valid entry: {e}")));
                prev = None;
                next_seq += 1;
            }
        }
    })?;
    let last_seq = report.last.as_ref().map_or(0, |h| h.seq);
    for (name, h, found) in anchors {
        if h.seq > last_seq {
            report.problems.push(Problem {
                line: 0,
                seq: Some(h.seq),
                message: format!(
                    "the log ends at seq {last_seq} but {name} records seq {}: entries {}–{} were cut off",
                    h.seq,
                    last_seq + 1,
                    h.seq
                ),
            });
        } else if h.seq > 0 && found.as_deref() != Some(h.hash.as_str()) {
            report.problems.push(Problem {
                line: 0,
                seq: Some(h.seq),
                message: format!(
                    "{name} records hash {} for seq {} but the log's entry has {}: the log was rewritten",
                    h.hash,
                    h.seq,
                    found.unwrap_or_else(|| "none".into())
                ),
            });
        }
    }
    Ok(report)
}

/// Which entries to list.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct AuditFilter {
    /// Only entries about this agreement.
    pub agreement: Option<String>,
    /// Only entries about this party (DID).
    pub party: Option<String>,
    /// Only entries about this process.
    pub process: Option<String>,
    /// Only entries of this kind (`data_access`, `deletion`, …).
    pub kind: Option<String>,
    /// Only the last this many matching entries.
    pub limit: Option<usize>,
}

impl AuditFilter {
    fn matches(&self, e: &AuditEntry, kind: Option<AuditKind>) -> bool {
        self.agreement
            .as_ref()
            .is_none_or(|a| e.agreement.as_ref() == Some(a))
            && self
                .party
                .as_ref()
                .is_none_or(|p| e.party.as_ref() == Some(p))
            && self
                .process
                .as_ref()
                .is_none_or(|p| e.process.as_ref() == Some(p))
            && kind.is_none_or(|k| e.kind == k)
    }
}

/// The valid entries matching `filter`, oldest first (lines that are not valid entries are
/// left out: `verify` reports them).
pub fn read_entries(path: &Path, filter: &AuditFilter) -> Result<Vec<AuditEntry>, AuditError> {
    let kind = match &filter.kind {
        Some(k) => Some(
            AuditKind::parse(k)
                .ok_or_else(|| AuditError::Io(format!("kind {k:?} is not an audit entry kind")))?,
        ),
        None => None,
    };
    let limit = filter.limit.unwrap_or(usize::MAX).max(1);
    let mut out = VecDeque::new();
    each_line(path, |_, line, complete| {
        if !complete {
            return;
        }
        if let Ok(e) = read_line(line)
            && filter.matches(&e, kind)
        {
            if out.len() == limit {
                out.pop_front();
            }
            out.push_back(e);
        }
    })?;
    Ok(out.into())
}
