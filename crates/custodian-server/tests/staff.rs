//! Staff accounts as operators handle them: created with the CLI from standard input (only an
//! argon2 hash is stored), refused with a clear message when wrong, signed in to the running
//! server's console; and the demo's accounts, whose passwords are printed and renewed on restart.

mod common;

use common::*;
use std::io::Write;
use std::process::Stdio;

/// Runs `custodian <args>` with `stdin` on standard input; (success, stdout, stderr).
fn run_with_stdin(url: &str, args: &[&str], stdin: &str) -> (bool, String, String) {
    let mut child = command(url)
        .args(args)
        .env("RUST_BACKTRACE", "0")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    (out.status.success(), String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}

/// Signs in to the console over HTTP; the status and `Location` of the sign-in POST.
async fn console_sign_in(base: &str, tenant: i64, username: &str, password: &str) -> (u16, String) {
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let form = client.get(format!("{base}/console/login")).send().await.unwrap();
    assert_eq!(form.status(), 200);
    let cookie = form
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|c| c.starts_with("custodian_console_login="))
        .expect("the sign-in form sets its token cookie");
    let token = cookie.split(';').next().unwrap().split_once('=').unwrap().1.to_owned();
    assert!(form.text().await.unwrap().contains(&token), "the form carries the same token");
    let body = format!("csrf={token}&tenant={tenant}&username={username}&password={}", password.replace(' ', "+"));
    let res = client
        .post(format!("{base}/console/login"))
        .header("cookie", format!("custodian_console_login={token}"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .unwrap();
    let location = res.headers().get("location").map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
    (res.status().as_u16(), location)
}

#[tokio::test]
async fn the_cli_creates_staff_accounts_from_standard_input_and_only_their_hash_is_stored() {
    let dir = tempfile::tempdir().unwrap();
    let (url, path) = sqlite_url(&dir);
    run(&url, &["migrate"]);
    assert_eq!(run(&url, &["tenants", "create", "--name", "Console Studio"]).trim(), "1");

    let create = ["staff", "create", "--tenant", "1", "--username", "Alice", "--role", "reviewer", "--password-stdin"];
    let (ok, out, err) = run_with_stdin(&url, &create, "a long enough password\n");
    assert!(ok, "{err}");
    assert_eq!(out.trim(), "1\talice\treviewer", "the username is stored in lower case");
    assert!(err.contains("sign in at /console/login?tenant=1"), "{err}");

    for (args, stdin, message) in [
        (create.to_vec(), "another long password\n", r#"a staff account named "alice" exists in this tenant"#),
        (vec!["staff", "create", "--tenant", "1", "--username", "bob", "--password-stdin"], "short\n", "at least 12 characters"),
        (
            vec!["staff", "create", "--tenant", "1", "--username", "bob", "--role", "boss"],
            "a long enough password\n",
            "unknown staff role",
        ),
        (vec!["staff", "create", "--tenant", "7", "--username", "bob"], "a long enough password\n", "tenant 7 does not exist"),
        (vec!["staff", "create", "--tenant", "1", "--username", "bob:x"], "a long enough password\n", "a username has 1 to 64"),
        (vec!["staff", "create", "--tenant", "1", "--username", "bob"], "", "no password given"),
    ] {
        let (ok, _, err) = run_with_stdin(&url, &args, stdin);
        assert!(!ok, "{args:?} succeeded");
        assert!(err.contains(message), "{args:?}: {err}");
    }
    let (ok, _, err) = run_with_stdin(
        &url,
        &["staff", "create", "--tenant", "1", "--username", "bob", "--role", "admin"],
        "bob's long password\n",
    );
    assert!(ok, "without --password-stdin a piped password is read too: {err}");
    assert_eq!(run(&url, &["staff", "list", "--tenant", "1"]), "1\talice\treviewer\n2\tbob\tadmin\n");

    let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
    let hash: String =
        sqlx::query_scalar("SELECT password_hash FROM staff_users WHERE username = 'alice'").fetch_one(&pool).await.unwrap();
    assert!(hash.starts_with("$argon2id$"), "{hash}");
    pool.close().await;
    let raw = [std::fs::read(&path).unwrap(), std::fs::read(path.with_extension("db-wal")).unwrap_or_default()].concat();
    let needle = b"a long enough password";
    assert!(!raw.windows(needle.len()).any(|w| w == needle), "the password itself is never stored");

    let server = start(&url, None).await;
    assert_eq!(console_sign_in(&server.base, 1, "alice", "a long enough password").await, (303, "/console/queue".into()));
    assert_eq!(console_sign_in(&server.base, 1, "alice", "a wrong password!").await.0, 401);

    let (ok, _, err) =
        run_with_stdin(&url, &["staff", "set-password", "--tenant", "1", "--username", "alice"], "a brand new password\n");
    assert!(ok, "{err}");
    assert_eq!(console_sign_in(&server.base, 1, "alice", "a long enough password").await.0, 401);
    assert_eq!(console_sign_in(&server.base, 1, "alice", "a brand new password").await.0, 303);
}

#[tokio::test]
async fn the_demo_prints_staff_passwords_that_sign_in_and_renews_them_on_restart() {
    let dir = tempfile::tempdir().unwrap();
    let (url, _) = sqlite_url(&dir);
    let keys = dir.path().join("demo.json");
    let server = start(&url, Some(&keys)).await;
    let demo = demo_keys(&keys);
    let tenant = &demo["tenants"][0];
    let tenant_id = tenant["tenantId"].as_i64().unwrap();
    let staff = tenant["staff"].as_array().unwrap();
    let names: Vec<&str> = staff.iter().map(|s| s["username"].as_str().unwrap()).collect();
    assert_eq!(names, ["reviewer", "admin"]);
    assert_eq!(staff[1]["role"], "admin");
    let first_password = staff[0]["password"].as_str().unwrap().to_owned();
    assert_eq!(first_password.len(), 20);
    assert_eq!(console_sign_in(&server.base, tenant_id, "reviewer", &first_password).await, (303, "/console/queue".into()));
    let admin_password = staff[1]["password"].as_str().unwrap();
    assert_eq!(console_sign_in(&server.base, tenant_id, "admin", admin_password).await.0, 303);
    drop(server);

    let server = start(&url, Some(&keys)).await;
    let renewed = demo_keys(&keys)["tenants"][0]["staff"][0]["password"].as_str().unwrap().to_owned();
    assert_ne!(renewed, first_password);
    assert_eq!(console_sign_in(&server.base, tenant_id, "reviewer", &first_password).await.0, 401);
    assert_eq!(console_sign_in(&server.base, tenant_id, "reviewer", &renewed).await.0, 303);
}
