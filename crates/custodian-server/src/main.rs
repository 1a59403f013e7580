//! The `custodian` binary: serve the API, run migrations, manage tenants and API keys, print the
//! OpenAPI document. Everything it does is reachable from the library crates.

mod allocator;
mod demo;
mod listener;
mod settings;
mod telemetry;
mod transfer;

use anyhow::{Context as _, Result, bail};
use clap::{Parser, Subcommand};
use custodian_app::{Context, Services, SystemClock};
use custodian_domain::hierarchy::{CreateInput, CustomerUuid};
use custodian_domain::{Actor, Scope, TenantId};
use settings::Settings;
use std::path::PathBuf;
use std::sync::Arc;

#[derive(Parser)]
#[command(name = "custodian", version, about = "Customer master data with an auditable amendment workflow")]
struct Cli {
    /// TOML configuration file (layered over the defaults, under CUSTODIAN_* environment variables).
    #[arg(long, global = true, env = "CUSTODIAN_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the HTTP server.
    Serve {
        /// Seed a demo tenant with customers in every policy combination and print its API keys.
        #[arg(long)]
        demo: bool,
        /// With --demo: also write the demo keys and customer ids as JSON to this file.
        #[arg(long, requires = "demo")]
        demo_keys_file: Option<PathBuf>,
        /// Listen address, overriding the configuration (e.g. 127.0.0.1:8080).
        #[arg(long)]
        listen: Option<String>,
    },
    /// Create or upgrade the database schema, then exit.
    Migrate,
    /// Manage tenants.
    Tenants {
        #[command(subcommand)]
        command: TenantCommand,
    },
    /// Manage API keys.
    Keys {
        #[command(subcommand)]
        command: KeyCommand,
    },
    /// Manage the roots of partner hierarchies (the partner API's top-level customers).
    Partners {
        #[command(subcommand)]
        command: PartnerCommand,
    },
    /// Manage staff accounts of the console (`/console/`).
    Staff {
        #[command(subcommand)]
        command: StaffCommand,
    },
    /// Write a consistent copy of the SQLite database to PATH while the server keeps running
    /// (serving that file is the restore). For PostgreSQL use pg_dump and pg_restore.
    Backup {
        /// Where to write the copy; must not exist yet.
        path: PathBuf,
    },
    /// Check the tamper-evident audit trail.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Delete data past its retention time now (the server also does it in the background).
    Retention {
        #[command(subcommand)]
        command: RetentionCommand,
    },
    /// Import customers from a JSON Lines or CSV file (format in the README): valid records are
    /// imported in batches, invalid ones listed in a reject file; exits non-zero when any record
    /// was rejected. Customers whose externalId the tenant has already are skipped, so running the
    /// same file again resumes an interrupted import.
    Import {
        #[arg(long)]
        tenant: i64,
        /// The file to read.
        file: PathBuf,
        /// jsonl or csv (default: from the file's extension).
        #[arg(long)]
        format: Option<String>,
        /// Where rejected records go (default: FILE.rejects.csv).
        #[arg(long)]
        rejects: Option<PathBuf>,
        /// Also send a customer.created event per imported customer (webhooks, NATS).
        #[arg(long)]
        events: bool,
        /// Write the imported customers' ids to this CSV file (externalId,id).
        #[arg(long)]
        ids: Option<PathBuf>,
        /// Customers per transaction.
        #[arg(long, default_value_t = custodian_transfer::DEFAULT_BATCH, value_parser = clap::value_parser!(usize))]
        batch: usize,
    },
    /// Export a tenant's customers (external id and the four domains) to a JSON Lines or CSV file
    /// that `custodian import` reads back; `-` writes to standard output.
    Export {
        #[arg(long)]
        tenant: i64,
        /// The file to write (replaced when complete).
        file: PathBuf,
        /// jsonl or csv (default: from the file's extension; jsonl for `-`).
        #[arg(long)]
        format: Option<String>,
    },
    /// Print the OpenAPI 3.1 document.
    Openapi,
    /// Print the effective configuration (secrets redacted).
    Config,
}

impl Command {
    /// The tenant a command works in, if it names one.
    fn tenant(&self) -> Option<i64> {
        match self {
            Command::Keys { command: KeyCommand::Create { tenant, .. } | KeyCommand::List { tenant } }
            | Command::Keys { command: KeyCommand::Revoke { tenant, .. } }
            | Command::Partners { command: PartnerCommand::Create { tenant, .. } }
            | Command::Import { tenant, .. }
            | Command::Export { tenant, .. }
            | Command::Staff {
                command:
                    StaffCommand::Create { tenant, .. } | StaffCommand::SetPassword { tenant, .. } | StaffCommand::List { tenant },
            } => Some(*tenant),
            Command::Audit { command: AuditCommand::Verify { tenant, .. } }
            | Command::Retention { command: RetentionCommand::Run { tenant } } => *tenant,
            _ => None,
        }
    }
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Verify every audit entry's hash chain (one tenant or all), print how many entries were
    /// checked and each tenant's checkpoint; exit non-zero naming the first entry that does not
    /// match.
    Verify {
        /// Only this tenant.
        #[arg(long)]
        tenant: Option<i64>,
        /// Repeatable: a checkpoint printed by an earlier run (TENANT:UP_TO_ID:DIGEST); the trail
        /// up to that entry must still give the same digest.
        #[arg(long = "checkpoint")]
        checkpoints: Vec<String>,
    },
}

#[derive(Subcommand)]
enum RetentionCommand {
    /// Delete what is older than the `[retention]` settings allow and print the counts.
    Run {
        /// Only this tenant.
        #[arg(long)]
        tenant: Option<i64>,
    },
}

#[derive(Subcommand)]
enum TenantCommand {
    /// Create a tenant and print its id.
    Create {
        /// The studio's or business's name, shown in the console (not blank).
        #[arg(long)]
        name: String,
    },
    /// List tenants.
    List,
}

#[derive(Subcommand)]
enum KeyCommand {
    /// Create an API key; it is printed once and stored only as a hash.
    Create {
        /// The tenant's id (`custodian tenants list`).
        #[arg(long)]
        tenant: i64,
        /// Repeatable: CUSTOMER_SELF_SERVICE_READ, CUSTOMER_SELF_SERVICE_WRITE, STAFF_REVIEW, ADMIN,
        /// WEALTH_SERVICE_USER, PARTNER.
        #[arg(long = "scope", required = true)]
        scopes: Vec<String>,
        /// Who or what uses the key; staff keys are recorded under this name in the audit trail.
        #[arg(long, default_value = "")]
        label: String,
        /// The partner customer (UUID) the key acts as in the partner API; needs --scope PARTNER.
        #[arg(long)]
        customer: Option<String>,
    },
    /// List a tenant's live keys: public prefix, scopes and label (never the secret).
    List {
        /// The tenant's id (`custodian tenants list`).
        #[arg(long)]
        tenant: i64,
    },
    /// Revoke a key by its public prefix (the 8 characters after `cus_`); it stops working at once.
    Revoke {
        /// The tenant's id (`custodian tenants list`).
        #[arg(long)]
        tenant: i64,
        /// The key's public prefix, as `keys list` shows it.
        #[arg(long)]
        prefix: String,
    },
}

#[derive(Subcommand)]
enum PartnerCommand {
    /// Create the root customer of a partner hierarchy and print its UUID.
    Create {
        /// The tenant's id (`custodian tenants list`).
        #[arg(long)]
        tenant: i64,
        /// The partner's name.
        #[arg(long)]
        name: String,
        /// ISO 4217 currency code.
        #[arg(long)]
        currency: String,
        /// PRIVATE or BUSINESS.
        #[arg(long = "type", default_value = "BUSINESS")]
        customer_type: String,
        /// ACTIVE or SUSPEND.
        #[arg(long, default_value = "ACTIVE")]
        status: String,
    },
}

#[derive(Subcommand)]
enum StaffCommand {
    /// Create a staff account. The password is read from standard input (one line), or asked for
    /// without echo when standard input is a terminal, so it never lands in the shell history.
    Create {
        /// The tenant's id (`custodian tenants list`).
        #[arg(long)]
        tenant: i64,
        /// The sign-in name of the account.
        #[arg(long)]
        username: String,
        /// reviewer (review queue, customers) or admin (also settings; sees IBANs in full).
        #[arg(long, default_value = "reviewer")]
        role: String,
        /// Read the password from the first line of standard input even when it is a terminal.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Set a new password (read like `create` does); every session of the account ends.
    SetPassword {
        /// The tenant's id (`custodian tenants list`).
        #[arg(long)]
        tenant: i64,
        /// The sign-in name of the account.
        #[arg(long)]
        username: String,
        /// Read the password from the first line of standard input even when it is a terminal.
        #[arg(long)]
        password_stdin: bool,
    },
    /// List the staff accounts of a tenant.
    List {
        /// The tenant's id (`custodian tenants list`).
        #[arg(long)]
        tenant: i64,
    },
}

/// Reads a password: the first line of standard input, or a no-echo prompt (asked twice) on a terminal.
fn read_password(from_stdin: bool) -> Result<String> {
    use std::io::{BufRead, IsTerminal};
    let password = if from_stdin || !std::io::stdin().is_terminal() {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line).context("reading the password from standard input")?;
        line.trim_end_matches(['\r', '\n']).to_owned()
    } else {
        let first = rpassword::prompt_password("Password: ").context("reading the password")?;
        let again = rpassword::prompt_password("Repeat the password: ").context("reading the password")?;
        if first != again {
            bail!("the two passwords differ");
        }
        first
    };
    if password.is_empty() {
        bail!("no password given: pipe it in (e.g. `printf '%s\\n' \"$PASSWORD\" | custodian staff create … --password-stdin`)");
    }
    Ok(password)
}

fn main() -> std::process::ExitCode {
    allocator::configure();
    match cli_main() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            // The error and its causes, without the stack backtrace that returning it from `main`
            // prints when RUST_BACKTRACE is set: these are an operator's errors (no database here,
            // a record rejected), not the program's. A panic still prints its backtrace.
            eprintln!("Error: {e}");
            for cause in e.chain().skip(1) {
                eprintln!("  caused by: {cause}");
            }
            std::process::ExitCode::FAILURE
        }
    }
}

fn cli_main() -> Result<()> {
    let cli = Cli::parse();
    let settings = Settings::load(cli.config.as_deref())?;
    if let Command::Openapi = cli.command {
        println!("{}", custodian_http::openapi::document_json());
        return Ok(());
    }
    if let Command::Config = cli.command {
        println!("{}", settings.redacted_toml());
        return Ok(());
    }
    telemetry::init(&settings.log)?;
    tokio::runtime::Builder::new_multi_thread().enable_all().build()?.block_on(run(cli.command, settings))
}

async fn run(command: Command, settings: Settings) -> Result<()> {
    let url = &settings.database.url;
    // Only `serve` and `migrate` create a database: any other command run in the wrong directory
    // would otherwise make an empty one and then report that nothing exists.
    if let Some(path) = custodian_store_sql::sqlite_file(url)
        && !matches!(command, Command::Serve { .. } | Command::Migrate)
        && !path.exists()
    {
        bail!(
            "no database at {}: run `custodian migrate` or `custodian serve` to create it, or point \
             CUSTODIAN_DATABASE__URL (or --config) at the existing one",
            path.display()
        );
    }
    if let Command::Backup { path } = &command {
        let bytes = custodian_store_sql::backup_sqlite(url, path).await.map_err(|e| anyhow::anyhow!("{e}"))?;
        eprintln!("Backup written: {} ({bytes} bytes). Serve that file to restore.", path.display());
        return Ok(());
    }
    let store = custodian_store_sql::open(&settings.database.url, settings.sqlite(), settings.postgres())
        .await
        .with_context(|| format!("opening the database {}", settings.database.redacted_url()))?;
    let sender = custodian_webhooks::Sender::new(settings.webhook_targets(), std::time::Duration::from_secs(5));
    let services = Services::with_webhook_sender(store, Arc::new(SystemClock), sender);
    if let Some(tenant) = command.tenant()
        && !services.store.list_tenants().await?.iter().any(|t| t.id.0 == tenant)
    {
        bail!("tenant {tenant} does not exist (`custodian tenants list` shows the tenants)");
    }
    match command {
        Command::Migrate => {
            println!("database schema is up to date ({})", services.store.backend());
        }
        Command::Tenants { command: TenantCommand::Create { name } } => {
            if name.trim().is_empty() {
                bail!("--name must not be blank");
            }
            let t = services.store.create_tenant(name.trim(), services.clock.now_ms()).await?;
            println!("{}", t.id);
        }
        Command::Tenants { command: TenantCommand::List } => {
            for t in services.store.list_tenants().await? {
                println!("{}\t{}", t.id, t.name);
            }
        }
        Command::Keys { command: KeyCommand::List { tenant } } => {
            for k in services.keys.list(TenantId(tenant)).await.map_err(|e| anyhow::anyhow!("{e}"))? {
                let scopes: Vec<&str> = k.scopes.iter().map(|s| s.as_str()).collect();
                println!("{}\t{}\t{}", k.key_prefix, scopes.join(","), k.label);
            }
        }
        Command::Keys { command: KeyCommand::Revoke { tenant, prefix } } => {
            services.keys.revoke(TenantId(tenant), prefix.trim()).await.map_err(|e| anyhow::anyhow!("{e}"))?;
            eprintln!("API key {prefix} revoked.");
        }
        Command::Keys { command: KeyCommand::Create { tenant, scopes, label, customer } } => {
            let scopes = scopes
                .iter()
                .map(|s| s.parse::<Scope>())
                .collect::<std::result::Result<Vec<_>, _>>()
                .map_err(anyhow::Error::msg)?;
            let key = match customer {
                Some(c) => {
                    let uuid = CustomerUuid::parse(&c).map_err(|m| anyhow::anyhow!("--customer {m}"))?;
                    services.hierarchy.create_key(TenantId(tenant), uuid, scopes, &label).await
                }
                None if scopes.contains(&Scope::Partner) => {
                    bail!("a PARTNER key acts as a customer of a partner hierarchy: add --customer <uuid>")
                }
                None => services.keys.create(TenantId(tenant), scopes, &label).await,
            }
            .map_err(|e| anyhow::anyhow!("{e}"))?;
            eprintln!("Store this key now; it is not shown again.");
            println!("{}", key.secret);
        }
        Command::Partners { command: PartnerCommand::Create { tenant, name, currency, customer_type, status } } => {
            let ctx = Context { tenant: TenantId(tenant), actor: Actor::system(), request_id: None };
            let input = CreateInput {
                status: Some(status),
                customer_type: Some(customer_type),
                name: Some(name),
                currency: Some(currency),
                ..Default::default()
            };
            let root = services.hierarchy.create_root(&ctx, &input).await.map_err(|e| anyhow::anyhow!("{e}"))?;
            eprintln!("Customer {} (id {}) is the root of a new partner hierarchy.", root.uuid, root.id);
            println!("{}", root.uuid);
        }
        Command::Staff { command } => staff_command(&services, command).await?,
        Command::Import { tenant, file, format, rejects, events, ids, batch } => {
            let opts = transfer::ImportArgs { format, rejects, events, ids, batch };
            transfer::import(&services, TenantId(tenant), &file, opts).await?
        }
        Command::Export { tenant, file, format } => {
            transfer::export(&services, TenantId(tenant), &file, format.as_deref()).await?
        }
        Command::Audit { command: AuditCommand::Verify { tenant, checkpoints } } => {
            audit_verify(&services, tenant.map(TenantId), &checkpoints).await?
        }
        Command::Retention { command: RetentionCommand::Run { tenant } } => {
            let report = services
                .retention
                .run(&settings.retention_policy(), tenant.map(TenantId))
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            for (t, c) in &report.tenants {
                println!(
                    "tenant {t}: {} signatures, {} webhook events ({} deliveries), {} billing receipts deleted",
                    c.signatures, c.webhook_events, c.webhook_deliveries, c.billing_receipts
                );
            }
            println!("{} idempotency receipts deleted", report.idempotency_receipts);
        }
        Command::Serve { demo, demo_keys_file, listen } => {
            let listen = listen.unwrap_or_else(|| settings.server.listen.clone());
            if demo {
                let seeded = demo::seed(&services).await?;
                seeded.print(&listen);
                if let Some(path) = demo_keys_file {
                    std::fs::write(&path, seeded.to_json()).with_context(|| format!("writing {}", path.display()))?;
                }
            }
            serve(services, &settings, &listen).await?;
        }
        Command::Openapi | Command::Config | Command::Backup { .. } => bail!("handled before start-up"),
    }
    Ok(())
}

/// `custodian audit verify`: every tenant's trail (or one), then the recorded checkpoints.
async fn audit_verify(services: &Services, tenant: Option<TenantId>, checkpoints: &[String]) -> Result<()> {
    use custodian_store::audit::Checkpoint;
    let checkpoints = checkpoints
        .iter()
        .map(|c| c.parse::<Checkpoint>())
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(anyhow::Error::msg)?;
    let tenants = match tenant {
        Some(t) => vec![t],
        None => services.store.list_tenants().await?.into_iter().map(|t| t.id).collect(),
    };
    let started = std::time::Instant::now();
    let (mut entries, mut failed) = (0i64, Vec::new());
    for t in tenants {
        let v = services.store.verify_audit(t, None).await?;
        entries += v.entries;
        match &v.mismatch {
            None => println!(
                "tenant {t}: {} entries in {} chains verified; checkpoint {}",
                v.entries,
                v.chains,
                Checkpoint { tenant: t, up_to_id: v.up_to_id, digest: v.checkpoint.clone() }
            ),
            Some(m) => {
                println!("tenant {t}: MISMATCH at {m} (after {} matching entries)", v.entries);
                failed.push(m.entry_id.map_or_else(|| format!("tenant {t}: {m}"), |id| format!("audit entry {id} (tenant {t})")));
            }
        }
    }
    for c in &checkpoints {
        let v = services.store.verify_audit(c.tenant, Some(c.up_to_id)).await?;
        match &v.mismatch {
            Some(m) => {
                println!("checkpoint {c}: cannot be checked: MISMATCH at {m}");
                failed.push(format!("checkpoint {c}"));
            }
            None if v.checkpoint == c.digest => println!("checkpoint {c}: matches"),
            None => {
                println!("checkpoint {c}: DOES NOT MATCH (now {}): entries up to {} were changed", v.checkpoint, c.up_to_id);
                failed.push(format!("checkpoint {c}"));
            }
        }
    }
    println!("{entries} audit entries checked in {:.2} s", started.elapsed().as_secs_f64());
    if let Some(first) = failed.first() {
        bail!("the audit trail does not verify: first mismatch at {first}");
    }
    Ok(())
}

async fn staff_command(services: &Services, command: StaffCommand) -> Result<()> {
    let app_error = |e: custodian_app::AppError| anyhow::anyhow!("{e}");
    match command {
        StaffCommand::Create { tenant, username, role, password_stdin } => {
            let role: custodian_store::staff::StaffRole = role.parse().map_err(anyhow::Error::msg)?;
            let password = read_password(password_stdin)?;
            let user = services.staff.create(TenantId(tenant), &username, role, &password).await.map_err(app_error)?;
            eprintln!("Staff account created; sign in at /console/login?tenant={tenant}");
            println!("{}\t{}\t{}", user.id, user.username, user.role);
        }
        StaffCommand::SetPassword { tenant, username, password_stdin } => {
            let password = read_password(password_stdin)?;
            services.staff.set_password(TenantId(tenant), &username, &password).await.map_err(app_error)?;
            eprintln!("Password changed; every session of {username} has ended.");
        }
        StaffCommand::List { tenant } => {
            for u in services.staff.list(TenantId(tenant)).await.map_err(app_error)? {
                let locked = if u.locked_until_ms.is_some_and(|t| t > services.clock.now_ms()) { "\tlocked" } else { "" };
                println!("{}\t{}\t{}{locked}", u.id, u.username, u.role);
            }
        }
    }
    Ok(())
}

async fn serve(services: Services, settings: &Settings, listen: &str) -> Result<()> {
    let mut state = custodian_http::AppState::new(services.clone(), settings.http());
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let dispatcher = settings.webhooks.dispatcher.then(|| {
        let d = Arc::new(custodian_webhooks::Dispatcher::new(services.store.clone(), settings.dispatcher()));
        state = state.with_webhook_stats(d.stats.clone());
        let mut stop = stop_rx.clone();
        tokio::spawn(d.run(async move {
            let _ = stop.wait_for(|s| *s).await;
        }))
    });
    let relay = settings.nats().map(|n| {
        tracing::info!(stream = %n.stream, subjects = %format!("{}.>", n.subject_prefix), "relaying events to NATS JetStream");
        let relay = Arc::new(custodian_nats::NatsRelay::new(services.store.clone(), n));
        state = state.with_relay_stats(relay.stats.clone());
        let mut stop = stop_rx.clone();
        tokio::spawn(relay.run(async move {
            let _ = stop.wait_for(|s| *s).await;
        }))
    });
    let retention = settings.retention.background.then(|| {
        let (services, policy) = (services.clone(), settings.retention_policy());
        let interval = std::time::Duration::from_secs(settings.retention.interval_seconds);
        let mut stop = stop_rx.clone();
        tokio::spawn(async move {
            // The first run a minute after start (or sooner with a shorter interval), then one per interval.
            let mut next = tokio::time::Instant::now() + interval.min(std::time::Duration::from_secs(60));
            loop {
                tokio::select! {
                    _ = tokio::time::sleep_until(next) => {}
                    _ = stop.wait_for(|s| *s) => return,
                }
                if let Err(e) = services.retention.run(&policy, None).await {
                    tracing::warn!(error = %e, "the retention run failed; trying again at the next interval");
                }
                next += interval;
            }
        })
    });
    let app = custodian_http::router(state);
    let listener = tokio::net::TcpListener::bind(listen).await.with_context(|| format!("binding {listen}"))?;
    let addr = listener.local_addr()?;
    tracing::info!(%addr, "custodian listening on http://{addr} (API docs at http://{addr}/docs)");
    listener::serve(listener, app, settings.connection_limits(), shutdown_signal()).await?;
    // In-flight deliveries finish; unsent ones stay in the outbox for the next start.
    let _ = stop_tx.send(true);
    if let Some(d) = dispatcher {
        let _ = d.await;
    }
    if let Some(r) = relay {
        let _ = r.await;
    }
    if let Some(r) = retention {
        let _ = r.await;
    }
    // Closing the connections lets SQLite checkpoint its WAL into the database file.
    services.store.close().await;
    tracing::info!("custodian stopped");
    Ok(())
}

/// Resolves on Ctrl-C or SIGTERM; in-flight requests then finish before the process exits.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    tracing::info!("shutting down: finishing in-flight requests");
}
