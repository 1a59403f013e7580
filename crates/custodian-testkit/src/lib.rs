//! Test support for Custodian: a throwaway PostgreSQL cluster per test process
//! that hands every test its own fresh database, plus fresh SQLite files.
//!
//! The cluster is started lazily on first use, listens on a free loopback
//! port, keeps its data under a temporary directory in `/tmp`, and is torn
//! down by a detached watchdog script once the test process has exited, even
//! if the process panicked or was killed.

use std::ffi::OsString;
use std::io::Write;
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use sqlx::{AssertSqlSafe, Connection, PgConnection};

/// Environment variable that, when set to `1`, turns "PostgreSQL not found"
/// from a silent skip into a panic (CI sets it).
const REQUIRE_PG_ENV: &str = "CUSTODIAN_REQUIRE_PG";

/// How long to wait for a freshly started server to accept connections.
const READY_TIMEOUT: Duration = Duration::from_secs(30);

/// How many times to start the server on a new port if the chosen port was
/// taken in the meantime.
const START_ATTEMPTS: u32 = 3;

/// Watchdog run through `sh -c`, detached from the test process.
///
/// Positional parameters: `$1` test process id, `$2` cluster directory, the
/// rest the command that runs `postgres` (possibly behind `runuser`). The port
/// is read from stdin; if stdin closes first (the test process gave up or
/// died), the directory is removed and nothing is started. Otherwise postgres
/// runs in the background until the test process is gone, then it is stopped
/// (fast shutdown, SIGKILL after 30 s) and the directory is removed. If
/// postgres dies on its own while the test process lives, the script exits and
/// leaves the directory to the test process (it may retry on another port).
const WATCHDOG_SCRIPT: &str = r#"
pid=$1
dir=$2
shift 2
alive() { kill -0 "$1" 2>/dev/null; }
if ! read -r port || [ -z "$port" ]; then
  rm -rf "$dir"
  exit 0
fi
"$@" -D "$dir/data" -p "$port" \
  -c listen_addresses=127.0.0.1 \
  -c "unix_socket_directories=$dir" \
  -c fsync=off -c synchronous_commit=off -c full_page_writes=off \
  -c max_connections=300 -c shared_buffers=128MB \
  >"$dir/postgres.log" 2>&1 </dev/null &
pg=$!
while alive "$pid" && alive "$pg"; do sleep 1; done
if alive "$pg"; then
  pm=$(head -n 1 "$dir/data/postmaster.pid" 2>/dev/null)
  case "$pm" in ''|*[!0-9]*) pm=$pg ;; esac
  kill -INT "$pm" 2>/dev/null
  i=0
  while alive "$pg" && [ "$i" -lt 30 ]; do sleep 1; i=$((i + 1)); done
  kill -KILL "$pm" "$pg" 2>/dev/null
fi
wait "$pg" 2>/dev/null
if alive "$pid"; then exit 3; fi
rm -rf "$dir"
"#;

/// Absolute paths of the PostgreSQL server binaries we need.
#[derive(Debug, Clone)]
struct PgBins {
    initdb: PathBuf,
    postgres: PathBuf,
}

/// A running throwaway cluster.
#[derive(Debug)]
struct Cluster {
    port: u16,
    #[cfg_attr(not(test), allow(dead_code))]
    dir: PathBuf,
}

static PG_BINS: OnceLock<Option<PgBins>> = OnceLock::new();
static CLUSTER: OnceLock<Result<Cluster, String>> = OnceLock::new();
static DB_COUNTER: AtomicU64 = AtomicU64::new(0);

/// Reports whether PostgreSQL server binaries (`initdb` and `postgres`) can be
/// found, on `PATH` or else in the highest `/usr/lib/postgresql/*/bin`.
///
/// Tests that need PostgreSQL should return early when this is false.
///
/// # Panics
///
/// If the binaries are missing and the environment variable
/// `CUSTODIAN_REQUIRE_PG=1` is set, so that CI never silently skips.
pub fn pg_available() -> bool {
    let found = pg_bins().is_some();
    if !found && pg_required() {
        panic!(
            "{REQUIRE_PG_ENV}=1 is set but PostgreSQL server binaries (initdb, postgres) \
             were found neither on PATH nor in /usr/lib/postgresql/*/bin; \
             install PostgreSQL (e.g. `apt-get install postgresql`) or unset {REQUIRE_PG_ENV}"
        );
    }
    found
}

/// Returns `postgres://postgres@127.0.0.1:<port>` for the process-wide test
/// cluster, starting the cluster first if needed (blocking, a few seconds).
///
/// Append `/<dbname>` to connect; the `postgres` database always exists, so
/// a test can use it to create databases of its own.
///
/// # Panics
///
/// If the cluster cannot be started (for example PostgreSQL is not installed).
pub fn pg_base_url() -> String {
    base_url(cluster().port)
}

/// Creates a new, empty database on the test cluster and returns its URL,
/// `postgres://postgres@127.0.0.1:<port>/t_<pid>_<n>`.
///
/// Safe to call from many tests in parallel, each on its own runtime: every
/// call uses its own short-lived connection. Starts the cluster on first use.
///
/// # Panics
///
/// If the cluster cannot be started or the database cannot be created.
pub async fn fresh_pg_database() -> String {
    // Cluster start-up blocks; keep it off the async worker thread.
    let base = match tokio::task::spawn_blocking(pg_base_url).await {
        Ok(base) => base,
        Err(err) if err.is_panic() => std::panic::resume_unwind(err.into_panic()),
        Err(err) => panic!("custodian-testkit: cluster start-up task failed: {err}"),
    };
    let n = DB_COUNTER.fetch_add(1, Ordering::Relaxed);
    let name = format!("t_{}_{n}", std::process::id());

    let admin_url = format!("{base}/postgres");
    let mut conn = PgConnection::connect(&admin_url)
        .await
        .unwrap_or_else(|e| panic!("custodian-testkit: cannot connect to {admin_url}: {e}"));
    let mut attempt = 0;
    loop {
        attempt += 1;
        let created = sqlx::raw_sql(AssertSqlSafe(format!("CREATE DATABASE \"{name}\""))).execute(&mut conn).await;
        match created {
            Ok(_) => break,
            // Someone else is connected to template1 (e.g. a test creating
            // databases by hand); that is transient.
            Err(e) if attempt < 20 && e.to_string().contains("being accessed by other users") => {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(e) => panic!("custodian-testkit: CREATE DATABASE {name} failed: {e}"),
        }
    }
    let _ = conn.close().await;
    format!("{base}/{name}")
}

/// Returns a fresh temporary directory and the path of a (not yet existing)
/// SQLite database file `custodian.db` inside it.
///
/// Keep the [`tempfile::TempDir`] alive for as long as the database is used;
/// dropping it deletes the directory and the file.
///
/// # Panics
///
/// If the temporary directory cannot be created.
pub fn fresh_sqlite_path() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::Builder::new()
        .prefix("custodian-sqlite-")
        .tempdir()
        .expect("custodian-testkit: cannot create a temporary directory for SQLite");
    let path = dir.path().join("custodian.db");
    (dir, path)
}

fn base_url(port: u16) -> String {
    format!("postgres://postgres@127.0.0.1:{port}")
}

fn pg_required() -> bool {
    std::env::var(REQUIRE_PG_ENV).is_ok_and(|v| v.trim() == "1")
}

fn pg_bins() -> Option<&'static PgBins> {
    PG_BINS.get_or_init(locate_pg_bins).as_ref()
}

fn locate_pg_bins() -> Option<PgBins> {
    if let (Some(initdb), Some(postgres)) = (find_on_path("initdb"), find_on_path("postgres")) {
        return Some(PgBins { initdb, postgres });
    }
    // Debian/Ubuntu layout: /usr/lib/postgresql/<version>/bin, highest first.
    let mut versions: Vec<(Vec<u64>, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let name = entry.file_name();
            let version = name.to_str()?.split('.').map(|part| part.parse::<u64>().ok()).collect::<Option<Vec<_>>>()?;
            Some((version, entry.path().join("bin")))
        })
        .collect();
    versions.sort();
    versions.into_iter().rev().find_map(|(_, bin)| {
        let initdb = bin.join("initdb");
        let postgres = bin.join("postgres");
        (is_executable(&initdb) && is_executable(&postgres)).then_some(PgBins { initdb, postgres })
    })
}

fn find_on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|dir| dir.join(name)).find(|candidate| is_executable(candidate))
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// True if the effective user id is 0. Reads `/proc/self/status`, falling
/// back to `id -u`.
fn is_root() -> bool {
    if let Ok(status) = std::fs::read_to_string("/proc/self/status")
        && let Some(line) = status.lines().find(|l| l.starts_with("Uid:"))
        && let Some(euid) = line.split_whitespace().nth(2)
    {
        return euid == "0";
    }
    Command::new("id")
        .arg("-u")
        .stderr(Stdio::null())
        .output()
        .is_ok_and(|out| out.status.success() && String::from_utf8_lossy(&out.stdout).trim() == "0")
}

/// The unprivileged user to run the server as when we are root.
fn unprivileged_user() -> &'static str {
    let has_postgres = Command::new("id")
        .args(["-u", "postgres"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if has_postgres { "postgres" } else { "nobody" }
}

/// Everything needed to run a server binary, possibly as another user.
struct Runner {
    /// `runuser -u <user> --` when running as root, else empty.
    prefix: Vec<OsString>,
}

impl Runner {
    fn command(&self, program: &Path) -> Command {
        match self.prefix.split_first() {
            Some((first, rest)) => {
                let mut cmd = Command::new(first);
                cmd.args(rest).arg(program);
                cmd
            }
            None => Command::new(program),
        }
    }
}

fn cluster() -> &'static Cluster {
    let result = CLUSTER.get_or_init(|| {
        // Run start-up on a plain thread: it builds its own small runtime,
        // which must not happen inside the caller's runtime.
        std::thread::spawn(start_cluster).join().unwrap_or_else(|panic| Err(panic_message(&*panic)))
    });
    match result {
        Ok(cluster) => cluster,
        Err(msg) => panic!("custodian-testkit: cannot start the PostgreSQL test cluster: {msg}"),
    }
}

fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
        .unwrap_or_else(|| "start-up panicked".to_owned())
}

fn start_cluster() -> Result<Cluster, String> {
    if !pg_available() {
        return Err("PostgreSQL server binaries (initdb, postgres) were found neither on PATH \
                    nor in /usr/lib/postgresql/*/bin"
            .to_owned());
    }
    let bins = pg_bins().expect("checked by pg_available");

    let runner = if is_root() {
        let user = unprivileged_user();
        let runuser = find_on_path("runuser")
            .or_else(|| ["/usr/sbin/runuser", "/sbin/runuser"].into_iter().map(PathBuf::from).find(|p| is_executable(p)))
            .ok_or("running as root but `runuser` was not found (needed to drop privileges)")?;
        Runner { prefix: vec![runuser.into(), "-u".into(), user.into(), "--".into()] }
    } else {
        Runner { prefix: Vec::new() }
    };

    let dir = tempfile::Builder::new()
        .prefix("custodian-pg-")
        .tempdir_in("/tmp")
        .map_err(|e| format!("cannot create a temporary directory in /tmp: {e}"))?
        .keep();

    // From here on the watchdog owns the directory: it removes it once the
    // test process is gone (or as soon as we drop its stdin unused).
    let first_watchdog = match prepare_dir_and_spawn_watchdog(&dir, bins, &runner) {
        Ok(child) => child,
        Err(e) => {
            let _ = std::fs::remove_dir_all(&dir);
            return Err(e);
        }
    };

    let initdb = runner
        .command(&bins.initdb)
        .arg("-D")
        .arg(dir.join("data"))
        .args(["-A", "trust", "-U", "postgres", "-E", "UTF8", "--locale=C", "--no-sync"])
        .current_dir(&dir)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run {}: {e}", bins.initdb.display()))?;
    if !initdb.status.success() {
        // Dropping the watchdog's stdin unused makes it remove the directory.
        drop(first_watchdog);
        return Err(format!(
            "initdb failed ({}):\n{}{}",
            initdb.status,
            String::from_utf8_lossy(&initdb.stdout),
            String::from_utf8_lossy(&initdb.stderr)
        ));
    }

    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot build a tokio runtime: {e}"))?;

    let mut watchdog = Some(first_watchdog);
    for attempt in 1..=START_ATTEMPTS {
        let mut child = match watchdog.take() {
            Some(child) => child,
            None => spawn_watchdog(&dir, bins, &runner)?,
        };
        let port = free_port()?;
        let mut stdin = child.stdin.take().ok_or("watchdog has no stdin")?;
        stdin.write_all(format!("{port}\n").as_bytes()).map_err(|e| format!("cannot hand the port to the watchdog: {e}"))?;
        drop(stdin);

        match wait_until_ready(&rt, &mut child, port) {
            Readiness::Ready => return Ok(Cluster { port, dir }),
            Readiness::Exited(status) => {
                let log = std::fs::read_to_string(dir.join("postgres.log")).unwrap_or_default();
                let port_taken = log.contains("could not bind")
                    || log.contains("Address already in use")
                    || log.contains("could not create any TCP/IP sockets");
                if port_taken && attempt < START_ATTEMPTS {
                    continue;
                }
                let _ = std::fs::remove_dir_all(&dir);
                return Err(format!("postgres exited before accepting connections ({status}); log:\n{log}"));
            }
            Readiness::TimedOut(last_error) => {
                let log = std::fs::read_to_string(dir.join("postgres.log")).unwrap_or_default();
                // The watchdog is still running and cleans up at exit.
                return Err(format!(
                    "postgres did not accept connections on port {port} within {}s \
                     (last error: {last_error}); log:\n{log}",
                    READY_TIMEOUT.as_secs()
                ));
            }
        }
    }
    unreachable!("the last attempt always returns")
}

fn prepare_dir_and_spawn_watchdog(dir: &Path, bins: &PgBins, runner: &Runner) -> Result<Child, String> {
    if let Some(user) = runner.prefix.get(2) {
        let mut owner = user.clone();
        owner.push(":");
        let status =
            Command::new("chown").arg("-R").arg(&owner).arg(dir).status().map_err(|e| format!("cannot run chown: {e}"))?;
        if !status.success() {
            return Err(format!("chown -R {owner:?} {} failed: {status}", dir.display()));
        }
    }
    spawn_watchdog(dir, bins, runner)
}

/// Starts the detached watchdog script; it waits for the port on stdin.
fn spawn_watchdog(dir: &Path, bins: &PgBins, runner: &Runner) -> Result<Child, String> {
    let mut cmd = match find_on_path("setsid") {
        // New session: immune to the terminal's Ctrl-C and to signals sent to
        // the test process group. The child is no group leader, so `setsid`
        // execs in place and the pid we get is the script's.
        Some(setsid) => {
            let mut cmd = Command::new(setsid);
            cmd.arg("sh");
            cmd
        }
        None => {
            use std::os::unix::process::CommandExt;
            let mut cmd = Command::new("sh");
            cmd.process_group(0);
            cmd
        }
    };
    cmd.arg("-c")
        .arg(WATCHDOG_SCRIPT)
        .arg("custodian-pg-watchdog")
        .arg(std::process::id().to_string())
        .arg(dir)
        .args(&runner.prefix)
        .arg(&bins.postgres)
        .current_dir("/")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    cmd.spawn().map_err(|e| format!("cannot start the watchdog script: {e}"))
}

fn free_port() -> Result<u16, String> {
    let listener =
        TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).map_err(|e| format!("cannot bind 127.0.0.1:0 to find a free port: {e}"))?;
    listener.local_addr().map(|addr| addr.port()).map_err(|e| format!("cannot read the bound port: {e}"))
}

enum Readiness {
    Ready,
    Exited(ExitStatus),
    TimedOut(String),
}

fn wait_until_ready(rt: &tokio::runtime::Runtime, watchdog: &mut Child, port: u16) -> Readiness {
    let deadline = Instant::now() + READY_TIMEOUT;
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let url = format!("{}/postgres", base_url(port));
    let mut last_error = String::from("nothing listening yet");
    loop {
        if let Ok(Some(status)) = watchdog.try_wait() {
            return Readiness::Exited(status);
        }
        if TcpStream::connect_timeout(&addr, Duration::from_millis(250)).is_ok() {
            let attempt = rt.block_on(async {
                let mut conn = tokio::time::timeout(Duration::from_secs(5), PgConnection::connect(&url))
                    .await
                    .map_err(|_| "connect timed out".to_owned())?
                    .map_err(|e| e.to_string())?;
                let ping = conn.ping().await.map_err(|e| e.to_string());
                let _ = conn.close().await;
                ping
            });
            match attempt {
                Ok(()) => return Readiness::Ready,
                Err(e) => last_error = e,
            }
        }
        if Instant::now() >= deadline {
            return Readiness::TimedOut(last_error);
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A PostgreSQL client tool (`pg_dump`, `pg_restore`, …) of the same installation as the test
/// cluster's server binaries, or from `PATH`.
pub fn pg_tool(name: &str) -> Option<PathBuf> {
    pg_bins()
        .and_then(|b| b.initdb.parent().map(|dir| dir.join(name)))
        .filter(|p| is_executable(p))
        .or_else(|| find_on_path(name))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;
    use std::io::{BufRead, BufReader};

    const CHILD_ENV: &str = "CUSTODIAN_TESTKIT_CLEANUP_CHILD";

    async fn current_database(url: &str) -> String {
        let mut conn = PgConnection::connect(url).await.expect("connect");
        let one: i32 = sqlx::query_scalar("SELECT 1").fetch_one(&mut conn).await.expect("SELECT 1");
        assert_eq!(one, 1);
        let name: String =
            sqlx::query_scalar("SELECT current_database()").fetch_one(&mut conn).await.expect("current_database()");
        conn.close().await.expect("close");
        name
    }

    #[tokio::test]
    async fn two_fresh_databases_are_distinct_and_usable() {
        if !pg_available() {
            eprintln!("skipping: PostgreSQL server binaries not found");
            return;
        }
        let (a, b) = tokio::join!(fresh_pg_database(), fresh_pg_database());
        assert_ne!(a, b);
        let base = pg_base_url();
        assert!(a.starts_with(&format!("{base}/t_")), "{a}");
        assert!(b.starts_with(&format!("{base}/t_")), "{b}");

        let (db_a, db_b) = tokio::join!(current_database(&a), current_database(&b));
        assert_eq!(format!("{base}/{db_a}"), a);
        assert_eq!(format!("{base}/{db_b}"), b);
    }

    #[test]
    fn tests_on_separate_runtimes_can_create_databases_concurrently() {
        if !pg_available() {
            eprintln!("skipping: PostgreSQL server binaries not found");
            return;
        }
        let handles: Vec<_> = (0..8)
            .map(|_| {
                std::thread::spawn(|| {
                    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
                    rt.block_on(async {
                        let url = fresh_pg_database().await;
                        current_database(&url).await;
                        url
                    })
                })
            })
            .collect();
        let urls: HashSet<String> = handles.into_iter().map(|h| h.join().expect("thread")).collect();
        assert_eq!(urls.len(), 8);
    }

    #[tokio::test]
    async fn fresh_sqlite_path_is_a_usable_file_in_a_private_directory() {
        use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
        let (dir, path) = fresh_sqlite_path();
        assert_eq!(path.parent(), Some(dir.path()));
        assert_eq!(path.file_name().and_then(|n| n.to_str()), Some("custodian.db"));
        assert!(!path.exists());

        let opts = SqliteConnectOptions::new().filename(&path).create_if_missing(true);
        let mut conn = SqliteConnection::connect_with(&opts).await.expect("open");
        let one: i32 = sqlx::query_scalar("SELECT 1").fetch_one(&mut conn).await.expect("SELECT 1");
        assert_eq!(one, 1);
        conn.close().await.expect("close");
        assert!(path.exists());

        let (other_dir, other_path) = fresh_sqlite_path();
        assert_ne!(other_path, path);
        let root = dir.path().to_path_buf();
        drop(dir);
        drop(other_dir);
        assert!(!root.exists());
    }

    /// Not a test of its own: run by `cluster_is_removed_after_the_test_process_is_killed`
    /// in a child process. Starts the cluster, prints its directory and waits
    /// to be killed.
    #[test]
    #[ignore = "helper run in a child process"]
    fn cleanup_child_helper() {
        if std::env::var_os(CHILD_ENV).is_none() {
            return;
        }
        let dir = &cluster().dir;
        println!("CLUSTER_DIR={}", dir.display());
        std::io::stdout().flush().expect("flush");
        std::thread::sleep(Duration::from_secs(120));
    }

    #[test]
    fn cluster_is_removed_after_the_test_process_is_killed() {
        if !pg_available() {
            eprintln!("skipping: PostgreSQL server binaries not found");
            return;
        }
        let mut child = Command::new(std::env::current_exe().expect("current exe"))
            .args(["tests::cleanup_child_helper", "--exact", "--ignored", "--nocapture"])
            .env(CHILD_ENV, "1")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn child test process");
        let stdout = child.stdout.take().expect("stdout");
        let dir = BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
            .find_map(|line| line.strip_prefix("CLUSTER_DIR=").map(PathBuf::from));
        let Some(dir) = dir else {
            let _ = child.kill();
            let _ = child.wait();
            panic!("child never reported its cluster directory");
        };
        assert!(dir.join("data/PG_VERSION").exists());

        child.kill().expect("kill child");
        child.wait().expect("reap child");

        let deadline = Instant::now() + Duration::from_secs(45);
        while dir.exists() {
            assert!(Instant::now() < deadline, "{} still exists 45 s after the test process was killed", dir.display());
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}
