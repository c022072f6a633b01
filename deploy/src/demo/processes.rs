//! The services as child processes: this very binary started again with the hidden
//! `service broker|connector` subcommand, each with its own log file, in its own process group
//! (Ctrl-C reaches only the launcher, which then stops them in order), and with a pipe as
//! standard input that the child watches: if the launcher dies without stopping it (even by
//! `kill -9`), the pipe closes and the child shuts itself down. No orphans.

use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use super::DemoError;

/// A running service process.
pub struct ServiceProcess {
    /// Its name in messages ("Broker", "Konnektor Stadt Musterstadt").
    pub name: String,
    /// Its log file (standard output and error).
    pub log: PathBuf,
    child: Option<Child>,
    /// Kept open while the child should run; dropping it tells the child to stop.
    _lifeline: Option<ChildStdin>,
}

impl ServiceProcess {
    /// Starts `current_exe service <kind> --config <config>`, logging into `log`.
    pub fn spawn(name: &str, kind: &str, config: &Path, log: &Path) -> Result<Self, DemoError> {
        let exe = std::env::current_exe()
            .map_err(|e| DemoError::Setup(format!("cannot find this program's path: {e}")))?;
        let file = std::fs::File::create(log)
            .map_err(|e| DemoError::Setup(format!("cannot create {}: {e}", log.display())))?;
        let err = file
            .try_clone()
            .map_err(|e| DemoError::Setup(format!("{}: {e}", log.display())))?;
        let mut command = Command::new(exe);
        command
            .args(["service", kind, "--config"])
            .arg(config)
            .stdin(Stdio::piped())
            .stdout(file)
            .stderr(err);
        #[cfg(unix)]
        {
            use std::os::unix::process::CommandExt as _;
            command.process_group(0);
        }
        let mut child = command
            .spawn()
            .map_err(|e| DemoError::Setup(format!("cannot start the {name}: {e}")))?;
        let lifeline = child.stdin.take();
        Ok(Self {
            name: name.to_owned(),
            log: log.to_path_buf(),
            child: Some(child),
            _lifeline: lifeline,
        })
    }

    /// The process id.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// `Some(status)` when the process has ended.
    pub fn exited(&mut self) -> Option<ExitStatus> {
        self.child
            .as_mut()
            .and_then(|c| c.try_wait().ok().flatten())
    }

    /// The last `lines` lines of the log.
    pub fn log_tail(&self, lines: usize) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let all: Vec<&str> = text.lines().collect();
        all[all.len().saturating_sub(lines)..].join("\n")
    }

    /// The last error line of the log (`error: …`, or a line logged at ERROR), else its last
    /// line.
    pub fn last_error(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        text.lines()
            .rev()
            .find(|l| l.starts_with("error:") || l.contains(" ERROR "))
            .or_else(|| text.lines().next_back())
            .unwrap_or("no log output")
            .trim()
            .to_owned()
    }

    /// Polls `probe` until it answers true; fails when the process ends first or after
    /// `limit`, quoting the end of its log.
    pub async fn wait_ready<F, Fut>(&mut self, limit: Duration, mut probe: F) -> Result<(), String>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = bool>,
    {
        let started = Instant::now();
        loop {
            if let Some(status) = self.exited() {
                return Err(format!(
                    "the {} ended during start ({status}): {} (log: {})",
                    self.name,
                    self.last_error(),
                    self.log.display(),
                ));
            }
            if probe().await {
                return Ok(());
            }
            if started.elapsed() > limit {
                return Err(format!(
                    "the {} was not ready after {} s; end of {}:\n{}",
                    self.name,
                    limit.as_secs(),
                    self.log.display(),
                    self.log_tail(12)
                ));
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    /// Stops the process: SIGTERM (graceful shutdown), then SIGKILL after `grace`. Returns
    /// whether it ended gracefully.
    pub fn stop(&mut self, grace: Duration) -> bool {
        let Some(mut child) = self.child.take() else {
            return true;
        };
        if let Ok(Some(_)) = child.try_wait() {
            return true;
        }
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(child.id().to_string())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        let deadline = Instant::now() + grace;
        while Instant::now() < deadline {
            if let Ok(Some(status)) = child.try_wait() {
                return status.success();
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = child.kill();
        let _ = child.wait();
        false
    }
}

impl Drop for ServiceProcess {
    fn drop(&mut self) {
        self.stop(Duration::from_secs(10));
    }
}
