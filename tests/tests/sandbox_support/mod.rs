//! Helpers for the sandbox tests and the sandbox benchmark: a deterministic generator of
//! school-health-like data (CSV), the matching column policy, a throw-away PostgreSQL cluster,
//! and peak-memory readings.
//!
//! Shared with `src/bin/bench-sandbox.rs` through a `#[path]` module, so it uses only std, the
//! connector crate and this package's library (its loopback ports).

#![allow(dead_code, unreachable_pub)]

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};

use connector::sandbox::ColumnPolicy;

/// The header of the generated data.
pub const HEADER: &str = "pupil_id,birth_date,district,year,age,age_band,sex,bmi,absent_days";

/// The districts, with their weights (out of 100).
pub const DISTRICTS: [(&str, u64); 8] = [
    ("Altstadt", 18),
    ("Nord", 16),
    ("Süd", 15),
    ("Ost", 14),
    ("West", 13),
    ("Hafen", 10),
    ("Gartenstadt", 9),
    ("Bergheim", 5),
];

/// The column policy for the generated data.
pub fn school_policy() -> ColumnPolicy {
    ColumnPolicy::new()
        .with_groupable(["district", "year", "age_band", "sex"])
        .with_filterable(["district", "year", "age", "age_band", "sex"])
        .with_measurable(["bmi", "absent_days", "age"])
        .with_identifying(["pupil_id", "birth_date"])
}

/// A small deterministic random generator (SplitMix64).
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// One generated record.
pub struct Pupil {
    pub id: u64,
    pub birth_date: String,
    pub district: &'static str,
    pub year: u32,
    pub age: u32,
    pub sex: &'static str,
    /// Tenths (e.g. 173 = 17.3); `None` for a missing measurement.
    pub bmi_tenths: Option<u32>,
    pub absent_days: u32,
}

impl Pupil {
    pub fn age_band(&self) -> &'static str {
        match self.age {
            0..=6 => "5-6",
            7..=8 => "7-8",
            _ => "9-10",
        }
    }

    /// Writes the record as one CSV line.
    pub fn write_csv(&self, out: &mut impl Write) -> std::io::Result<()> {
        let bmi = match self.bmi_tenths {
            Some(t) => format!("{}.{}", t / 10, t % 10),
            None => String::new(),
        };
        writeln!(
            out,
            "S{:08},{},{},{},{},{},{},{},{}",
            self.id,
            self.birth_date,
            self.district,
            self.year,
            self.age,
            self.age_band(),
            self.sex,
            bmi,
            self.absent_days
        )
    }
}

/// The record number `i` of the data set with `seed` (the same every time).
pub fn pupil(rng: &mut Rng, id: u64) -> Pupil {
    let mut pick = rng.below(100);
    let mut district = DISTRICTS[0].0;
    for (name, weight) in DISTRICTS {
        if pick < weight {
            district = name;
            break;
        }
        pick -= weight;
    }
    let year = 2022 + rng.below(3) as u32;
    let age = 5 + rng.below(6) as u32;
    let sex = match rng.below(1000) {
        0..=489 => "w",
        490..=993 => "m",
        _ => "d",
    };
    let bmi_tenths = if rng.below(50) == 0 {
        None
    } else {
        Some(130 + rng.below(60) as u32 + age * 3)
    };
    let absent_days = (rng.below(15) + rng.below(15)) as u32;
    let birth_date = format!(
        "{}-{:02}-{:02}",
        year - age,
        1 + rng.below(12),
        1 + rng.below(28)
    );
    Pupil {
        id,
        birth_date,
        district,
        year,
        age,
        sex,
        bmi_tenths,
        absent_days,
    }
}

/// Writes `rows` generated records with `seed` to a CSV file.
pub fn write_school_csv(path: &Path, rows: u64, seed: u64) -> std::io::Result<()> {
    let mut out = BufWriter::with_capacity(1 << 20, File::create(path)?);
    writeln!(out, "{HEADER}")?;
    let mut rng = Rng::new(seed);
    for id in 0..rows {
        pupil(&mut rng, id).write_csv(&mut out)?;
    }
    out.flush()
}

/// Writes given records as CSV.
pub fn write_csv(path: &Path, pupils: &[Pupil]) -> std::io::Result<()> {
    let mut out = BufWriter::new(File::create(path)?);
    writeln!(out, "{HEADER}")?;
    for p in pupils {
        p.write_csv(&mut out)?;
    }
    out.flush()
}

/// A directory removed on drop.
pub struct TempDir {
    pub path: PathBuf,
}

impl TempDir {
    pub fn new(label: &str) -> Self {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let path = std::env::temp_dir().join(format!(
            "sandbox-{label}-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::SeqCst)
        ));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).expect("create a temporary directory");
        TempDir { path }
    }

    pub fn join(&self, name: &str) -> PathBuf {
        self.path.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

/// The peak resident memory of this process so far (VmHWM), in MiB.
pub fn peak_rss_mib() -> f64 {
    status_kib("VmHWM:") as f64 / 1024.0
}

/// The current resident memory of this process (VmRSS), in MiB.
pub fn rss_mib() -> f64 {
    status_kib("VmRSS:") as f64 / 1024.0
}

fn status_kib(key: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(key))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

/// Resets the peak-RSS mark (VmHWM) of this process, so a later reading covers only what
/// follows (Linux: writing 5 to /proc/self/clear_refs).
pub fn reset_peak_rss() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

/// The PostgreSQL 15 binaries installed on this machine (Debian layout), or from `PG_BIN`.
fn pg_bin() -> PathBuf {
    std::env::var_os("PG_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/lib/postgresql/15/bin"))
}

/// A throw-away PostgreSQL cluster on a free loopback port (below the ephemeral range),
/// stopped and removed on drop.
///
/// As root (CI, these machines) the cluster runs as the `postgres` user through `runuser`,
/// since PostgreSQL refuses to run as root.
pub struct PgCluster {
    dir: TempDir,
    pub port: u16,
    as_postgres: bool,
}

impl PgCluster {
    /// Initialises and starts a cluster; `Err` says exactly which step failed.
    pub fn start() -> Result<PgCluster, String> {
        let dir = TempDir::new("pg");
        let as_postgres = is_root();
        if as_postgres {
            run(Command::new("chown")
                .arg("-R")
                .arg("postgres:postgres")
                .arg(&dir.path))?;
        }
        // Not a port the kernel chose: initdb takes seconds, and until the server binds the
        // port an outgoing connection could be given it (see `harness::ports`).
        let port = tests::harness::ports::free_port();
        let data = dir.join("data");
        let cluster = PgCluster {
            dir,
            port,
            as_postgres,
        };
        run(cluster.pg_command("initdb").arg("-D").arg(&data).args([
            "-A",
            "trust",
            "-U",
            "postgres",
            "--no-locale",
            "-E",
            "UTF8",
        ]))?;
        let options = format!(
            "-p {port} -k {} -c listen_addresses=127.0.0.1 -c fsync=off",
            cluster.dir.path.display()
        );
        run(cluster
            .pg_command("pg_ctl")
            .arg("-D")
            .arg(&data)
            .arg("-o")
            .arg(options)
            .arg("-l")
            .arg(cluster.dir.join("server.log"))
            .args(["-w", "-t", "60", "start"]))
        .map_err(|e| {
            let log = std::fs::read_to_string(cluster.dir.join("server.log")).unwrap_or_default();
            format!("{e}\nserver log:\n{log}")
        })?;
        Ok(cluster)
    }

    fn pg_command(&self, program: &str) -> Command {
        let binary = pg_bin().join(program);
        if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(binary);
            c
        } else {
            Command::new(binary)
        }
    }

    /// The libpq connection string.
    pub fn connection_string(&self) -> String {
        format!(
            "host=127.0.0.1 port={} user=postgres dbname=postgres",
            self.port
        )
    }

    /// Runs SQL through `psql` (stops at the first error). `\copy` reads files as the caller.
    pub fn psql(&self, commands: &[&str]) -> Result<(), String> {
        let mut c = Command::new(pg_bin().join("psql"));
        c.args([
            "-X",
            "-q",
            "-v",
            "ON_ERROR_STOP=1",
            "-h",
            "127.0.0.1",
            "-U",
            "postgres",
        ])
        .arg("-p")
        .arg(self.port.to_string())
        .args(["-d", "postgres"]);
        for command in commands {
            c.arg("-c").arg(command);
        }
        run(&mut c)
    }

    /// Creates the table `name` with the generated data's columns and loads a CSV file.
    pub fn load_school_table(&self, name: &str, csv: &Path) -> Result<(), String> {
        self.psql(&[
            &format!(
                "CREATE TABLE {name} (pupil_id text, birth_date text, district text, \
                 year integer, age smallint, age_band varchar(8), sex text, bmi numeric(4,1), \
                 absent_days integer)"
            ),
            &format!(
                "\\copy {name} FROM '{}' WITH (FORMAT csv, HEADER true)",
                csv.display()
            ),
        ])
    }
}

impl Drop for PgCluster {
    fn drop(&mut self) {
        let _ = self
            .pg_command("pg_ctl")
            .arg("-D")
            .arg(self.dir.join("data"))
            .args(["-m", "immediate", "-w", "stop"])
            .output();
    }
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

fn run(command: &mut Command) -> Result<(), String> {
    let output = command
        .output()
        .map_err(|e| format!("cannot run {command:?}: {e}"))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{command:?} failed ({}):\n{}{}",
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ))
    }
}
