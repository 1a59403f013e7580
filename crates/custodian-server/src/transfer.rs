//! `custodian import` and `custodian export`: arguments, progress on the terminal (a bar with
//! count, rate and ETA) or, when standard error is not a terminal, a plain line every few seconds,
//! and the summary.

use anyhow::{Result, anyhow, bail};
use custodian_app::Services;
use custodian_domain::TenantId;
use custodian_transfer::format::Format;
use custodian_transfer::{ImportOptions, Progress};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

fn format_of(path: &Path, given: Option<&str>) -> Result<Format> {
    match given {
        Some(f) => f.parse().map_err(|e: String| anyhow!(e)),
        None if path == Path::new("-") => Ok(Format::JsonLines),
        None => Format::from_path(path).ok_or_else(|| {
            anyhow!("{}: cannot tell the format from the file name; use --format jsonl or --format csv", path.display())
        }),
    }
}

fn rate(n: u64, elapsed: Duration) -> u64 {
    (n as f64 / elapsed.as_secs_f64().max(0.001)) as u64
}

/// Shows progress: a bar on a terminal, else a line every `every`.
struct Meter {
    bar: Option<ProgressBar>,
    last_line: Instant,
    every: Duration,
}

impl Meter {
    fn new(total: u64, what: &str) -> Meter {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = if total > 0 { ProgressBar::new(total) } else { ProgressBar::new_spinner() };
            bar.set_draw_target(ProgressDrawTarget::stderr_with_hz(4));
            let template = if total > 0 {
                format!("{what} [{{bar:30}}] {{percent:>3}}% {{msg}} ETA {{eta}}")
            } else {
                format!("{what} {{spinner}} {{msg}}")
            };
            bar.set_style(ProgressStyle::with_template(&template).expect("a valid template").progress_chars("=> "));
            bar
        });
        Meter { bar, last_line: Instant::now(), every: Duration::from_secs(5) }
    }

    fn update(&mut self, position: u64, message: String) {
        match &self.bar {
            Some(bar) => {
                bar.set_position(position);
                bar.set_message(message);
            }
            None if self.last_line.elapsed() >= self.every => {
                self.last_line = Instant::now();
                eprintln!("{message}");
            }
            None => {}
        }
    }

    fn finish(self) {
        if let Some(bar) = self.bar {
            bar.finish_and_clear();
        }
    }
}

fn import_line(p: &Progress) -> String {
    let percent = (p.bytes_read * 100).checked_div(p.bytes_total).map(|pc| format!(", {pc}% of the file")).unwrap_or_default();
    let eta = if p.bytes_read > 0 && p.bytes_total > p.bytes_read {
        let left = p.elapsed.as_secs_f64() * (p.bytes_total - p.bytes_read) as f64 / p.bytes_read as f64;
        format!(", about {left:.0} s left")
    } else {
        String::new()
    };
    format!(
        "imported {} ({}/s), skipped {}, rejected {}{percent}{eta}",
        p.imported,
        rate(p.imported + p.skipped, p.elapsed),
        p.skipped,
        p.rejected
    )
}

/// The options of `custodian import` besides the tenant and the file.
pub struct ImportArgs {
    pub format: Option<String>,
    pub rejects: Option<PathBuf>,
    pub events: bool,
    pub ids: Option<PathBuf>,
    pub batch: usize,
}

pub async fn import(services: &Services, tenant: TenantId, file: &Path, args: ImportArgs) -> Result<()> {
    if args.batch == 0 || args.batch > 100_000 {
        bail!("--batch must lie between 1 and 100000");
    }
    let opts = ImportOptions {
        tenant,
        format: format_of(file, args.format.as_deref())?,
        events: args.events,
        batch: args.batch,
        rejects: args.rejects.unwrap_or_else(|| custodian_transfer::default_rejects(file)),
        ids: args.ids,
    };
    let total = std::fs::metadata(file).map(|m| m.len()).unwrap_or(0);
    let mut meter = Meter::new(total, "importing");
    let result =
        custodian_transfer::import_file(&services.transfer, file, &opts, |p| meter.update(p.bytes_read, import_line(p))).await;
    meter.finish();
    let summary = result.map_err(|e| anyhow!("{e}"))?;
    let p = summary.progress;
    println!(
        "{}: {} imported, {} skipped (externalId already present), {} rejected in {:.1} s ({} records/s)",
        file.display(),
        p.imported,
        p.skipped,
        p.rejected,
        p.elapsed.as_secs_f64(),
        rate(p.imported + p.skipped + p.rejected, p.elapsed)
    );
    if let Some(path) = summary.rejects {
        let records = if p.rejected == 1 { "record" } else { "records" };
        bail!("{} {records} rejected: see {} (line, field, reason)", p.rejected, path.display());
    }
    Ok(())
}

pub async fn export(services: &Services, tenant: TenantId, file: &Path, format: Option<&str>) -> Result<()> {
    let format = format_of(file, format)?;
    let mut meter = Meter::new(0, "exporting");
    let update = |p: &Progress| meter.update(p.exported, format!("exported {} ({}/s)", p.exported, rate(p.exported, p.elapsed)));
    let result = if file == Path::new("-") {
        custodian_transfer::export_to(&services.transfer, tenant, format, std::io::stdout().lock(), update).await.map(|(_, p)| p)
    } else {
        custodian_transfer::export_file(&services.transfer, tenant, format, file, update).await
    };
    meter.finish();
    let p = result.map_err(|e| anyhow!("{e}"))?;
    eprintln!("{}: {} customers exported in {:.1} s", file.display(), p.exported, p.elapsed.as_secs_f64());
    Ok(())
}
