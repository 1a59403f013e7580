//! Logging: human-readable or JSON lines, filtered by `log.level` or `RUST_LOG`. Log statements
//! across the code carry ids only, never names, e-mail addresses or IBANs.

use crate::settings::LogSettings;
use anyhow::Result;
use tracing_subscriber::EnvFilter;

pub fn init(log: &LogSettings) -> Result<()> {
    let filter = EnvFilter::try_from_default_env().or_else(|_| EnvFilter::try_new(&log.level))?;
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    if log.format == "json" {
        builder.json().flatten_event(true).init();
    } else {
        builder.init();
    }
    Ok(())
}
