//! Prometheus metrics: request counts and latency by method and matched route (never the raw
//! path, so ids do not explode label sets), and amendments by state read from the store. The
//! counters only: the middleware that feeds them and the `/metrics` endpoint are in [`crate::ops`].

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;

/// Upper bounds of the latency histogram, in seconds.
const BUCKETS: [f64; 12] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0];

#[derive(Default)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

/// In-process counters; one instance per router.
#[derive(Default)]
pub struct Metrics {
    requests: Mutex<BTreeMap<(String, String, u16), u64>>,
    latency: Mutex<BTreeMap<(String, String), Histogram>>,
}

impl Metrics {
    pub fn observe(&self, method: &str, route: &str, status: u16, seconds: f64) {
        let mut r = self.requests.lock().unwrap_or_else(|e| e.into_inner());
        *r.entry((method.to_owned(), route.to_owned(), status)).or_default() += 1;
        drop(r);
        let mut l = self.latency.lock().unwrap_or_else(|e| e.into_inner());
        let h = l.entry((method.to_owned(), route.to_owned())).or_default();
        for (i, le) in BUCKETS.iter().enumerate() {
            if seconds <= *le {
                h.counts[i] += 1;
            }
        }
        h.count += 1;
        h.sum += seconds;
    }

    /// The Prometheus text exposition of the HTTP metrics plus `amendments` by state.
    pub fn render(&self, amendments: &[(String, i64)]) -> String {
        let mut out = String::new();
        out.push_str("# HELP custodian_http_requests_total HTTP requests by method, route and status.\n");
        out.push_str("# TYPE custodian_http_requests_total counter\n");
        for ((m, route, status), n) in self.requests.lock().unwrap_or_else(|e| e.into_inner()).iter() {
            let _ = writeln!(out, "custodian_http_requests_total{{method=\"{m}\",route=\"{route}\",status=\"{status}\"}} {n}");
        }
        out.push_str("# HELP custodian_http_request_duration_seconds HTTP request latency by method and route.\n");
        out.push_str("# TYPE custodian_http_request_duration_seconds histogram\n");
        for ((m, route), h) in self.latency.lock().unwrap_or_else(|e| e.into_inner()).iter() {
            let labels = format!("method=\"{m}\",route=\"{route}\"");
            for (i, le) in BUCKETS.iter().enumerate() {
                let _ = writeln!(out, "custodian_http_request_duration_seconds_bucket{{{labels},le=\"{le}\"}} {}", h.counts[i]);
            }
            let _ = writeln!(out, "custodian_http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {}", h.count);
            let _ = writeln!(out, "custodian_http_request_duration_seconds_sum{{{labels}}} {}", h.sum);
            let _ = writeln!(out, "custodian_http_request_duration_seconds_count{{{labels}}} {}", h.count);
        }
        out.push_str("# HELP custodian_amendments Amendments in the database by state.\n");
        out.push_str("# TYPE custodian_amendments gauge\n");
        for (state, n) in amendments {
            let _ = writeln!(out, "custodian_amendments{{state=\"{state}\"}} {n}");
        }
        out
    }
}

/// The standard `process_*` metrics of this process (read from `/proc`; empty where there is no
/// procfs) and `custodian_build_info`.
pub fn process_metrics() -> String {
    let mut out = String::new();
    out.push_str("# HELP custodian_build_info The running build; the value is always 1.\n");
    out.push_str("# TYPE custodian_build_info gauge\n");
    let _ = writeln!(out, "custodian_build_info{{version=\"{}\"}} 1", env!("CARGO_PKG_VERSION"));
    let Ok(me) = procfs::process::Process::myself() else { return out };
    if let Ok(stat) = me.stat() {
        let ticks = procfs::ticks_per_second() as f64;
        let cpu = (stat.utime + stat.stime) as f64 / ticks;
        let rss = stat.rss * procfs::page_size();
        out.push_str("# HELP process_cpu_seconds_total Total user and system CPU time spent in seconds.\n");
        let _ = writeln!(out, "# TYPE process_cpu_seconds_total counter\nprocess_cpu_seconds_total {cpu}");
        out.push_str("# HELP process_resident_memory_bytes Resident memory size in bytes.\n");
        let _ = writeln!(out, "# TYPE process_resident_memory_bytes gauge\nprocess_resident_memory_bytes {rss}");
        out.push_str("# HELP process_virtual_memory_bytes Virtual memory size in bytes.\n");
        let _ = writeln!(out, "# TYPE process_virtual_memory_bytes gauge\nprocess_virtual_memory_bytes {}", stat.vsize);
        if let Ok(boot) = procfs::boot_time_secs() {
            let start = boot as f64 + stat.starttime as f64 / ticks;
            out.push_str("# HELP process_start_time_seconds Start time of the process since unix epoch in seconds.\n");
            let _ = writeln!(out, "# TYPE process_start_time_seconds gauge\nprocess_start_time_seconds {start}");
        }
    }
    if let Ok(fds) = me.fd_count() {
        out.push_str("# HELP process_open_fds Number of open file descriptors.\n");
        let _ = writeln!(out, "# TYPE process_open_fds gauge\nprocess_open_fds {fds}");
    }
    if let Ok(limits) = me.limits()
        && let procfs::process::LimitValue::Value(max) = limits.max_open_files.soft_limit
    {
        out.push_str("# HELP process_max_fds Maximum number of open file descriptors.\n");
        let _ = writeln!(out, "# TYPE process_max_fds gauge\nprocess_max_fds {max}");
    }
    out
}
