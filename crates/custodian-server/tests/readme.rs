//! The README runs as written: its ```` ```sh ```` blocks, in order, in one bash, against a fresh
//! `custodian serve --demo`, and what its comments say a command prints is what it prints.
//!
//! The rules (also stated in the README, "This README is tested"):
//! - ```` ```sh ```` blocks run; ```` ```sh no-run ```` and every other block are skipped;
//! - the shell runs with `set -eo pipefail` in a fresh directory holding a link to `examples/`,
//!   with the built `custodian` first on `PATH`, against a server started there as the README
//!   starts it (`serve --demo --demo-keys-file demo-keys.json --config examples/local.toml`);
//! - `127.0.0.1:8080` (the server) and `127.0.0.1:8081` (the webhook receiver) are replaced by
//!   free loopback ports, and `curl` ends every answer with a line break (`CURL_HOME/.curlrc`);
//! - a comment line right after a command that starts with `# {`, `# [` or `# NNN {`/`# NNN [`
//!   is an expectation: its text from the bracket up to the first two spaces in a row must match
//!   the last line the command printed, `…` standing for any text.
//!
//! `README_TEST_KEEP=1` keeps the run's directory (the script, `out/N.txt` per step, the logs).

mod common;

use std::io::{Read, Write};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const START: &str = "serve --demo --demo-keys-file demo-keys.json --config examples/local.toml";

/// One piece of a block: shell text, and what the last line it prints must look like.
struct Step {
    block_line: usize,
    text: String,
    expect: Vec<String>,
}

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().unwrap()
}

/// `# {…}`, `# [`, `# 409 {…}`: the pattern, else None.
fn expectation(line: &str) -> Option<String> {
    let rest = line.strip_prefix("# ")?;
    let rest = match rest.split_at_checked(4) {
        Some((status, body)) if status.as_bytes()[..3].iter().all(u8::is_ascii_digit) && status.ends_with(' ') => body,
        _ => rest,
    };
    if !(rest.starts_with('{') || rest.starts_with('[')) {
        return None;
    }
    Some(rest.split("  ").next().unwrap_or(rest).trim_end().to_owned())
}

fn steps(readme: &str) -> Vec<Step> {
    let mut steps = Vec::new();
    let mut in_block: Option<bool> = None; // Some(run?) inside a fence
    let mut current: Option<Step> = None;
    for (i, line) in readme.lines().enumerate() {
        if let Some(info) = line.strip_prefix("```").filter(|info| !info.contains('`')) {
            match in_block {
                None => in_block = Some(info.trim() == "sh"),
                Some(_) => {
                    steps.extend(current.take());
                    in_block = None;
                }
            }
            continue;
        }
        if in_block != Some(true) {
            continue;
        }
        if let Some(pattern) = expectation(line) {
            let step = current.as_mut().unwrap_or_else(|| panic!("README line {}: an expectation with no command", i + 1));
            step.expect.push(pattern);
            continue;
        }
        if current.as_ref().is_some_and(|s| !s.expect.is_empty()) {
            steps.extend(current.take());
        }
        let step = current.get_or_insert_with(|| Step { block_line: i + 1, text: String::new(), expect: Vec::new() });
        step.text.push_str(line);
        step.text.push('\n');
    }
    steps
}

/// `…` matches any text; the rest literally; the whole line.
fn matches(pattern: &str, line: &str) -> bool {
    let parts: Vec<&str> = pattern.split('…').collect();
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if parts.len() == 1 {
        return line == pattern;
    }
    if !line.starts_with(first) || !line[first.len()..].ends_with(last) || line.len() < first.len() + last.len() {
        return false;
    }
    let mut rest = &line[first.len()..line.len() - last.len()];
    for part in &parts[1..parts.len() - 1] {
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    true
}

fn free_addr() -> String {
    format!("127.0.0.1:{}", common::free_port())
}

fn wait_ready(addr: &str) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Ok(mut s) = std::net::TcpStream::connect(addr) {
            let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
            let _ = s.write_all(b"GET /ready HTTP/1.0\r\nHost: x\r\n\r\n");
            let mut answer = String::new();
            let _ = s.read_to_string(&mut answer);
            if answer.starts_with("HTTP/1.0 200") || answer.starts_with("HTTP/1.1 200") {
                return;
            }
        }
        assert!(Instant::now() < deadline, "the server did not become ready");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A command without the caller's CUSTODIAN_* settings, so both sides use the directory's database.
fn clean(program: &str, dir: &Path) -> Command {
    let mut c = Command::new(program);
    c.current_dir(dir);
    for (k, _) in std::env::vars() {
        if k.starts_with("CUSTODIAN_") || k == "DATABASE_URL" {
            c.env_remove(k);
        }
    }
    c
}

fn kill_group(pid: u32) {
    let _ = Command::new("kill").args(["-KILL", "--", &format!("-{pid}")]).stderr(Stdio::null()).status();
}

#[test]
fn the_readme_runs_in_order_against_a_fresh_demo_server_and_prints_what_it_shows() {
    let root = repo_root();
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    assert!(readme.contains(START), "the README starts its walkthrough server with `{START}`");
    let steps = steps(&readme);
    assert!(steps.len() > 20, "found {} runnable steps", steps.len());

    let dir = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(root.join("examples"), dir.path().join("examples")).unwrap();
    let (server_addr, receiver_addr) = (free_addr(), free_addr());
    let server_log = std::fs::File::create(dir.path().join("server.log")).unwrap();
    let mut server = clean(common::BIN, dir.path())
        .args(START.split(' '))
        .args(["--listen", &server_addr])
        .env("CUSTODIAN_LOG__LEVEL", "warn")
        .stdout(server_log.try_clone().unwrap())
        .stderr(server_log)
        .process_group(0)
        .spawn()
        .unwrap();
    wait_ready(&server_addr);

    std::fs::write(dir.path().join(".curlrc"), "-w \"\\n\"\n").unwrap();
    let out = dir.path().join("out");
    std::fs::create_dir(&out).unwrap();
    let mut script = String::from("set -eo pipefail\nexec 2>stderr.log\n");
    for (n, step) in steps.iter().enumerate() {
        let text = step.text.replace("127.0.0.1:8080", &server_addr).replace("127.0.0.1:8081", &receiver_addr);
        script.push_str(&format!("exec >out/{n}.txt\n{text}"));
    }
    script.push_str("exec >/dev/null\ntouch finished\n");
    std::fs::write(dir.path().join("readme.sh"), script).unwrap();

    let bin_dir = Path::new(common::BIN).parent().unwrap();
    let path = format!("{}:{}", bin_dir.display(), std::env::var("PATH").unwrap_or_default());
    let mut shell = clean("bash", dir.path())
        .arg("readme.sh")
        .env("PATH", path)
        .env("CURL_HOME", dir.path())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(600);
    let status = loop {
        if let Some(status) = shell.try_wait().unwrap() {
            break Some(status);
        }
        if Instant::now() > deadline {
            break None;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    // Background processes the README started (the webhook receiver), then the server.
    kill_group(shell.id());
    let _ = shell.wait();
    kill_group(server.id());
    let _ = server.wait();

    let read = |p: PathBuf| std::fs::read_to_string(p).unwrap_or_default();
    let output = |n: usize| read(out.join(format!("{n}.txt")));
    let mut failures = Vec::new();
    if !dir.path().join("finished").exists() {
        let reached = (0..steps.len()).rev().find(|n| out.join(format!("{n}.txt")).exists()).unwrap_or(0);
        failures.push(format!(
            "the shell stopped ({status:?}) in the step at README line {}:\n{}--- it printed:\n{}\n--- stderr:\n{}\n--- server log:\n{}",
            steps[reached].block_line,
            steps[reached].text,
            output(reached),
            read(dir.path().join("stderr.log")),
            read(dir.path().join("server.log")),
        ));
    }
    for (n, step) in steps.iter().enumerate() {
        if step.expect.is_empty() || !out.join(format!("{n}.txt")).exists() {
            continue;
        }
        let printed = output(n);
        let last = printed.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("").trim_end();
        for pattern in &step.expect {
            if !matches(pattern, last) {
                failures.push(format!(
                    "README line {}: expected\n  {pattern}\nbut the last line printed was\n  {last}\nby\n{}",
                    step.block_line, step.text
                ));
            }
        }
    }
    if std::env::var_os("README_TEST_KEEP").is_some() {
        eprintln!("README_TEST_KEEP: the run's directory (out/N.txt per step) is {}", dir.keep().display());
    }
    assert!(failures.is_empty(), "{} README failure(s):\n\n{}", failures.len(), failures.join("\n\n"));
}

#[test]
fn expectations_are_comments_after_a_command_that_show_json_with_or_without_a_status() {
    assert_eq!(expectation(r#"# {"id":1,…}   queued"#).as_deref(), Some(r#"{"id":1,…}"#));
    assert_eq!(expectation(r#"# 409 {"errorCode":"x"}"#).as_deref(), Some(r#"{"errorCode":"x"}"#));
    assert_eq!(expectation("# [1,2]").as_deref(), Some("[1,2]"));
    assert_eq!(expectation("# the new e-mail address"), None);
    assert_eq!(expectation("# HTTP/1.1 200 OK"), None);
    assert!(matches(r#"{"id":1,…}"#, r#"{"id":1,"a":2}"#));
    assert!(matches(r#"{…"b":2…}"#, r#"{"a":1,"b":2,"c":3}"#));
    assert!(!matches(r#"{"id":1,…}"#, r#"{"id":12}"#));
    assert!(!matches(r#"{"id":1}"#, r#"{"id":1,"a":2}"#));
    assert!(!matches("a…a", "a"));
}
