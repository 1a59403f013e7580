//! Helpers shared by the process-level tests: start `custodian serve` on a free loopback port,
//! run CLI commands, read the demo keys.
#![allow(dead_code)]

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const BIN: &str = env!("CARGO_BIN_EXE_custodian");

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A running `custodian serve`; killed (SIGKILL) on drop.
pub struct Server {
    pub child: Child,
    pub base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn command(db_url: &str) -> Command {
    let mut c = Command::new(BIN);
    c.env("CUSTODIAN_DATABASE__URL", db_url).env("CUSTODIAN_LOG__LEVEL", "warn").env_remove("DATABASE_URL");
    c
}

pub async fn start(db_url: &str, demo_keys: Option<&Path>) -> Server {
    start_with(db_url, demo_keys, &[]).await
}

/// Starts a server with extra environment variables (e.g. webhook settings).
pub async fn start_with(db_url: &str, demo_keys: Option<&Path>, env: &[(&str, &str)]) -> Server {
    let port = free_port();
    let mut c = command(db_url);
    c.envs(env.iter().copied());
    c.arg("serve").arg("--listen").arg(format!("127.0.0.1:{port}"));
    if let Some(keys) = demo_keys {
        c.arg("--demo").arg("--demo-keys-file").arg(keys);
    }
    let child = c.stdout(Stdio::null()).stderr(Stdio::inherit()).spawn().unwrap();
    let server = Server { child, base: format!("http://127.0.0.1:{port}") };
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(r) = reqwest::get(format!("{}/ready", server.base)).await
            && r.status() == 200
        {
            return server;
        }
        assert!(Instant::now() < deadline, "server did not become ready");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// GET `url` with `key` as `X-API-KEY`, the answer's body read as JSON (whatever the status).
pub async fn get_json(client: &reqwest::Client, url: String, key: &str) -> Value {
    client.get(url).header("X-API-KEY", key).send().await.unwrap().json().await.unwrap()
}

pub fn run(db_url: &str, args: &[&str]) -> String {
    let out = command(db_url).args(args).output().unwrap();
    assert!(out.status.success(), "custodian {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

pub fn demo_keys(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

pub fn sqlite_url(dir: &tempfile::TempDir) -> (String, PathBuf) {
    let path = dir.path().join("custodian.db");
    (format!("sqlite://{}", path.display()), path)
}
