//! The writer: one thread owns the log file, appends entries in groups and makes each group
//! durable (`fdatasync`) before anyone waiting for it is answered.
//!
//! Two ways in:
//! - [`AuditLog::append`] waits until the entry is on disk (used before data is served and
//!   for deletions);
//! - [`AuditLog::stage`] puts the event into a store batch (`auditq/…`), so it lands
//!   atomically with the state change it records; the writer moves staged events into the
//!   log and then removes them from the store. A crash between the two leaves the event
//!   staged; at the next start it is written unless the log already holds its id.
//!
//! After every group the head (last seq and hash) is written to `audit.head` (write to a
//! temporary file, then rename), so that `verify` can tell a log cut off at the end.

use std::collections::HashSet;
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc;
use std::time::Duration;

use super::entry::{AuditEntry, AuditEvent, AuditKind, GENESIS, read_line};
use super::{AuditError, LOG_FILE, head_path};
use crate::store::{Store, StoreExt, WriteBatch};

/// Key prefix of staged events.
pub const STAGED: &str = "auditq/";

/// Largest number of staged events moved in one group.
const MAX_GROUP: usize = 2000;

enum Command {
    Append(
        Box<AuditEvent>,
        tokio::sync::oneshot::Sender<Result<AuditEntry, AuditError>>,
    ),
    Drain,
    /// Answered once the events staged before it are in the log.
    Flush(tokio::sync::oneshot::Sender<()>),
}

/// The connector's audit log.
#[derive(Clone)]
pub struct AuditLog {
    tx: mpsc::Sender<Command>,
    path: Arc<PathBuf>,
}

impl std::fmt::Debug for AuditLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuditLog")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

struct Writer {
    file: File,
    dir: PathBuf,
    len: u64,
    seq: u64,
    prev: String,
    store: Arc<dyn Store>,
}

fn io(path: &Path, e: std::io::Error) -> AuditError {
    AuditError::Io(format!("{}: {e}", path.display()))
}

/// The last complete line of `file` (of length `len`), if any.
fn last_line(file: &mut File, len: u64) -> std::io::Result<Option<String>> {
    let mut window = 64 * 1024u64;
    loop {
        let start = len.saturating_sub(window);
        file.seek(SeekFrom::Start(start))?;
        let mut buf = Vec::new();
        Read::by_ref(file).take(len - start).read_to_end(&mut buf)?;
        let text = String::from_utf8_lossy(&buf);
        let trimmed = text.strip_suffix('\n').unwrap_or(&text);
        if let Some(pos) = trimmed.rfind('\n') {
            return Ok(Some(trimmed[pos + 1..].to_owned()));
        }
        if start == 0 {
            return Ok((!trimmed.is_empty()).then(|| trimmed.to_owned()));
        }
        window *= 4;
    }
}

impl AuditLog {
    /// Opens (or creates) the log in `dir`: a torn last line (a crash while writing, never
    /// acknowledged) is cut off and recorded, events staged before a crash are written, and
    /// the writer thread starts.
    pub fn open(dir: &Path, store: Arc<dyn Store>) -> Result<Self, AuditError> {
        std::fs::create_dir_all(dir).map_err(|e| io(dir, e))?;
        let path = dir.join(LOG_FILE);
        let mut file = OpenOptions::new()
            .create(true)
            .read(true)
            .append(true)
            .open(&path)
            .map_err(|e| io(&path, e))?;
        let mut len = file.metadata().map_err(|e| io(&path, e))?.len();
        let mut torn = 0u64;
        if len > 0 {
            let mut last = [0u8; 1];
            file.seek(SeekFrom::Start(len - 1))
                .and_then(|_| file.read_exact(&mut last))
                .map_err(|e| io(&path, e))?;
            if last[0] != b'\n' {
                // Cut back to the end of the last complete line.
                let mut good = 0u64;
                let mut buf = Vec::new();
                file.seek(SeekFrom::Start(0)).map_err(|e| io(&path, e))?;
                file.read_to_end(&mut buf).map_err(|e| io(&path, e))?;
                if let Some(pos) = buf.iter().rposition(|b| *b == b'\n') {
                    good = pos as u64 + 1;
                }
                torn = len - good;
                file.set_len(good).map_err(|e| io(&path, e))?;
                file.sync_data().map_err(|e| io(&path, e))?;
                len = good;
            }
        }
        let (seq, prev) = match last_line(&mut file, len).map_err(|e| io(&path, e))? {
            None => (0, GENESIS.to_owned()),
            Some(line) => {
                let e = read_line(&line).map_err(|e| {
                    AuditError::Corrupt(format!(
                        "the last entry of {} is not valid ({e}); run `connector audit verify`",
                        path.display()
                    ))
                })?;
                (e.seq, e.hash)
            }
        };
        let mut writer = Writer {
            file,
            dir: dir.to_path_buf(),
            len,
            seq,
            prev,
            store,
        };
        if torn > 0 {
            tracing::warn!(bytes = torn, log = %path.display(), "audit log: an incomplete last line (never acknowledged) was cut off");
            let event = AuditEvent::new(
                AuditKind::LogRecovered,
                format!("Unvollständige letzte Zeile ({torn} Bytes, nie bestätigt) nach einem Absturz abgeschnitten."),
            )
            .detail("torn_bytes", torn);
            writer.write_group(vec![event])?;
        }
        writer.recover_staged()?;
        let (tx, rx) = mpsc::channel();
        std::thread::Builder::new()
            .name("audit-writer".into())
            .spawn(move || writer.run(rx))
            .map_err(|e| AuditError::Io(format!("cannot start the audit writer: {e}")))?;
        Ok(Self {
            tx,
            path: Arc::new(path),
        })
    }

    /// Records `event` and returns once it is on disk.
    pub async fn append(&self, event: AuditEvent) -> Result<AuditEntry, AuditError> {
        let (reply, answer) = tokio::sync::oneshot::channel();
        self.tx
            .send(Command::Append(Box::new(event), reply))
            .map_err(|_| AuditError::Closed)?;
        answer.await.map_err(|_| AuditError::Closed)?
    }

    /// Adds `event` to `batch`: it is durable when the batch is, and written to the log soon
    /// after (call [`AuditLog::wake`] after applying the batch).
    pub fn stage(&self, batch: &mut WriteBatch, event: AuditEvent) {
        let key = format!("{STAGED}{:020}-{}", event.at_ms.max(0), event.id);
        batch.put(key, &event);
    }

    /// Tells the writer that staged events wait.
    pub fn wake(&self) {
        let _ = self.tx.send(Command::Drain);
    }

    /// Returns once the events staged before the call are in the log (at most
    /// [`MAX_GROUP`] of them at a time are moved; more take further groups): readers of the
    /// log file (the audit API and page) then see every entry of a state they can see.
    pub async fn flush(&self) {
        let (reply, answer) = tokio::sync::oneshot::channel();
        if self.tx.send(Command::Flush(reply)).is_ok() {
            let _ = answer.await;
        }
    }

    /// The log file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Writer {
    fn run(mut self, rx: mpsc::Receiver<Command>) {
        loop {
            let first = match rx.recv_timeout(Duration::from_secs(2)) {
                Ok(c) => Some(c),
                Err(mpsc::RecvTimeoutError::Timeout) => None,
                Err(mpsc::RecvTimeoutError::Disconnected) => return,
            };
            let mut waiting = Vec::new();
            let mut flushes = Vec::new();
            let mut events = Vec::new();
            let mut commands: Vec<Command> = first.into_iter().collect();
            while let Ok(c) = rx.try_recv() {
                commands.push(c);
            }
            for c in commands {
                match c {
                    Command::Append(event, reply) => {
                        events.push(*event);
                        waiting.push(reply);
                    }
                    Command::Flush(reply) => flushes.push(reply),
                    Command::Drain => {}
                }
            }
            let staged = match self.staged() {
                Ok(s) => s,
                Err(e) => {
                    tracing::error!(error = %e, "audit log: cannot read staged events");
                    Vec::new()
                }
            };
            let staged_keys: Vec<String> = staged.iter().map(|(k, _)| k.clone()).collect();
            // Staged events were committed before the direct ones were asked for: they go
            // first, so the log keeps the order in which things happened.
            let before = staged.len();
            let mut group: Vec<AuditEvent> = staged.into_iter().map(|(_, e)| e).collect();
            group.extend(events);
            if group.is_empty() {
                for f in flushes {
                    let _ = f.send(());
                }
                continue;
            }
            match self.write_group(group) {
                Ok(entries) => {
                    self.forget(staged_keys);
                    for (reply, entry) in waiting.into_iter().zip(entries.into_iter().skip(before))
                    {
                        let _ = reply.send(Ok(entry));
                    }
                }
                Err(e) => {
                    tracing::error!(error = %e, "audit log: cannot write");
                    for reply in waiting {
                        let _ = reply.send(Err(e.clone()));
                    }
                }
            }
            // Also after a failed write: the reader then sees what the log holds.
            for f in flushes {
                let _ = f.send(());
            }
        }
    }

    fn staged(&self) -> Result<Vec<(String, AuditEvent)>, AuditError> {
        let mut all = self
            .store
            .scan::<AuditEvent>(STAGED)
            .map_err(|e| AuditError::Io(format!("store: {e}")))?;
        all.truncate(MAX_GROUP);
        Ok(all)
    }

    fn forget(&self, keys: Vec<String>) {
        if keys.is_empty() {
            return;
        }
        let mut batch = WriteBatch::new();
        for k in keys {
            batch.delete(k);
        }
        if let Err(e) = self.store.apply(batch) {
            // They stay staged and are recognised by their ids at the next start.
            tracing::warn!(error = %e, "audit log: cannot remove written events from the store");
        }
    }

    /// At start: writes staged events the log does not hold yet (by id).
    fn recover_staged(&mut self) -> Result<(), AuditError> {
        loop {
            let staged = self.staged()?;
            if staged.is_empty() {
                return Ok(());
            }
            let ids: HashSet<String> = staged.iter().map(|(_, e)| e.id.clone()).collect();
            let present = self.ids_in_log(&ids)?;
            let keys: Vec<String> = staged.iter().map(|(k, _)| k.clone()).collect();
            let missing: Vec<AuditEvent> = staged
                .into_iter()
                .map(|(_, e)| e)
                .filter(|e| !present.contains(&e.id))
                .collect();
            if !missing.is_empty() {
                self.write_group(missing)?;
            }
            self.forget(keys);
        }
    }

    fn ids_in_log(&mut self, wanted: &HashSet<String>) -> Result<HashSet<String>, AuditError> {
        let path = self.dir.join(LOG_FILE);
        let file = File::open(&path).map_err(|e| io(&path, e))?;
        let mut found = HashSet::new();
        for line in std::io::BufRead::lines(std::io::BufReader::new(file)) {
            let line = line.map_err(|e| io(&path, e))?;
            if let Ok(e) = read_line(&line)
                && wanted.contains(&e.id)
            {
                found.insert(e.id);
            }
        }
        Ok(found)
    }

    /// Appends the events as one group and syncs; on failure the file is cut back.
    fn write_group(&mut self, events: Vec<AuditEvent>) -> Result<Vec<AuditEntry>, AuditError> {
        let path = self.dir.join(LOG_FILE);
        let mut buf = String::new();
        let mut entries = Vec::with_capacity(events.len());
        let (mut seq, mut prev) = (self.seq, self.prev.clone());
        for event in &events {
            seq += 1;
            let mut entry = AuditEntry::chain(event, seq, &prev);
            buf.push_str(&entry.seal());
            prev.clone_from(&entry.hash);
            entries.push(entry);
        }
        let written = self
            .file
            .write_all(buf.as_bytes())
            .and_then(|_| self.file.sync_data());
        if let Err(e) = written {
            let _ = self.file.set_len(self.len);
            return Err(io(&path, e));
        }
        self.len += buf.len() as u64;
        self.seq = seq;
        self.prev = prev;
        self.write_head();
        Ok(entries)
    }

    fn write_head(&self) {
        let head = head_path(&self.dir);
        let tmp = head.with_extension("head.tmp");
        let text = format!("{{\"seq\":{},\"hash\":\"{}\"}}\n", self.seq, self.prev);
        let done = std::fs::write(&tmp, text).and_then(|_| std::fs::rename(&tmp, &head));
        if let Err(e) = done {
            // The head is a lower bound for verification; the log itself is durable.
            tracing::warn!(error = %e, "audit log: cannot update the head file");
        }
    }
}
