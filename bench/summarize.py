#!/usr/bin/env python3
"""Collect the BENCH_RESULT lines of bench/run.sh's wrk runs into a table.

    summarize.py OUT_DIR META_JSON   -> prints the table, writes OUT_DIR/results.md

Each scenario's wrk output is OUT_DIR/<scenario>.txt. Every figure is stated as a ratio to the
ceiling measured in the same run that does the same kind of work with nothing else: Custodian's
GET to the storage-read ceiling, its applied POST and its amend+withdraw requests (each a durable
write) to the durable-write ceiling, the ceilings themselves to the HTTP ceiling (GET /hello).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

SCENARIOS = [
    ("baseline_hello", "(a) HTTP ceiling: GET /hello (500-byte JSON built in memory)"),
    ("baseline_echo", "(a2) HTTP ceiling: POST /echo"),
    ("ceiling_read", "(a3) read ceiling: GET one ~500-byte row by primary key"),
    ("ceiling_write", "(a4) durable-write ceiling: POST, one insert per transaction"),
    ("get_contact", "(b) Custodian: GET contact-data, random customer"),
    ("get_contact_2p", "(b2) Custodian: the same GET, two processes on one database (p50/p99: the worse one)"),
    ("post_contact", "(c) Custodian: POST contact-data (applied at once)"),
    ("post_email", "(c2) Custodian: the same POST, the e-mail address alone changing"),
    ("amend_withdraw", "(d) Custodian: POST address-data amendment + DELETE withdraw"),
]

# Which ceiling each scenario is measured against.
CEILING = {
    "baseline_echo": "baseline_hello",
    "ceiling_read": "baseline_hello",
    "ceiling_write": "baseline_hello",
    "get_contact": "ceiling_read",
    "get_contact_2p": "get_contact",
    "post_contact": "ceiling_write",
    "post_email": "ceiling_write",
    "amend_withdraw": "ceiling_write",
}
CEILING_NAME = {"baseline_hello": "HTTP", "ceiling_read": "read", "ceiling_write": "write", "get_contact": "one process"}


def combine(paths: list[str]) -> int:
    """Prints one BENCH_RESULT line for wrk runs that loaded two processes at the same time: counts
    and rates add up; latencies are the worse of the two runs (their histograms are not merged)."""
    results = []
    for path in paths:
        text = Path(path).read_text(errors="replace")
        line = next((l for l in text.splitlines() if l.startswith("BENCH_RESULT ")), None)
        if line is None:
            sys.stdout.write(text)
            return 1
        results.append(dict(kv.split("=", 1) for kv in line.split()[1:]))
    out = {}
    for key in results[0]:
        values = [r.get(key, "0") for r in results]
        if key.endswith("_us") or key == "seconds":
            out[key] = max(values, key=float)
        elif key == "rps":
            out[key] = f"{sum(float(v) for v in values):.1f}"
        else:
            out[key] = str(sum(int(float(v)) for v in values))
    print("BENCH_RESULT " + " ".join(f"{k}={v}" for k, v in out.items()))
    return 0


def parse(path: Path) -> dict[str, str] | None:
    if not path.exists():
        return None
    result, cpu = None, {}
    for line in path.read_text(errors="replace").splitlines():
        if line.startswith("BENCH_RESULT "):
            result = dict(kv.split("=", 1) for kv in line.split()[1:])
        elif line.startswith("BENCH_CPU "):
            cpu.update({"cpu_" + k: v for k, v in (kv.split("=", 1) for kv in line.split()[1:])})
        elif line.startswith("BENCH_MEM "):
            cpu.update(dict(kv.split("=", 1) for kv in line.split()[1:]))
    return {**result, **cpu} if result else None


def ms(us: str) -> str:
    return f"{int(us) / 1000:.2f} ms"


def main() -> int:
    if sys.argv[1] == "--combine":
        return combine(sys.argv[2:])
    out = Path(sys.argv[1])
    meta = json.loads(Path(sys.argv[2]).read_text()) if len(sys.argv) > 2 else {}
    results = {key: parse(out / f"{key}.txt") for key, _ in SCENARIOS}
    rows = []
    for key, title in SCENARIOS:
        r = results[key]
        if r is None:
            continue
        rps = float(r["rps"])
        ceiling = results.get(CEILING.get(key, ""))
        if ceiling:
            ratio = f"{rps / float(ceiling['rps']):.3f}× {CEILING_NAME[CEILING[key]]}"
        else:
            ratio = "ceiling" if key == "baseline_hello" else "n/a"
        notes = []
        if "pairs" in r:
            notes.append(f"{float(r['pairs_per_s']):,.0f} pairs/s ({int(r['pairs']):,} pairs)")
            if int(r.get("post_conflict", 0)):
                notes.append(f"{r['post_conflict']} POST 409")
            if int(r.get("delete_failed", 0)):
                notes.append(f"{r['delete_failed']} DELETE failed")
        statuses = {k[len('status_'):]: v for k, v in r.items() if k.startswith("status_")}
        if statuses:
            notes.append("statuses " + ", ".join(f"{k}: {v}" for k, v in sorted(statuses.items())))
        if int(r["socket_errors"]):
            notes.append(f"{r['socket_errors']} socket errors ({r['timeouts']} timeouts)")
        notes.append(f"p90 {ms(r['p90_us'])}, max {ms(r['max_us'])}, {int(r['requests']):,} requests")
        if key in ("get_contact", "post_contact", "post_email", "amend_withdraw") and int(r.get("custodian_rss_peak_kb", 0)):
            notes.append(f"Custodian RSS peak {int(r['custodian_rss_peak_kb']) / 1024:.0f} MB")
        if "cpu_cores_busy" in r:
            notes.append(
                f"CPU cores busy: server {r['cpu_server_cores']}, wrk {r['cpu_wrk_cores']}, other processes {r['cpu_other_cores']}"
            )
        rows.append((title, f"{rps:,.0f}", ms(r["p50_us"]), ms(r["p99_us"]), r["non2xx"], ratio, "; ".join(notes)))

    header = ("scenario", "req/s", "p50", "p99", "non-2xx", "ratio", "notes")
    widths = [max(len(str(row[i])) for row in rows + [header]) for i in range(6)]
    lines = ["  ".join(str(v).ljust(widths[i]) if i == 0 else str(v).rjust(widths[i]) for i, v in enumerate(row[:6]))
             for row in [header] + rows]
    print("\n".join(lines))

    md = ["# Custodian benchmark results", ""]
    for k, v in meta.items():
        md.append(f"- {k}: {v}")
    md += [
        "",
        "ratio = the scenario's requests/s ÷ the requests/s of the ceiling doing the same kind of work in this run: "
        "Custodian's GET ÷ the read ceiling, its POST and its amend+withdraw requests (each one durable write) ÷ the "
        "durable-write ceiling, the ceilings ÷ the HTTP ceiling (GET /hello). Percentiles are wrk's, over all "
        "requests of the scenario (in (d) both the POSTs and the DELETEs). non-2xx = responses with status ≥ 400 "
        "(in (d): every POST or DELETE that did not answer 200). CPU cores busy: averages over the measured run from "
        "/proc (2 cores = the whole machine); \"other processes\" is work on the machine that is neither the servers nor wrk.",
        "",
        "| scenario | req/s | p50 | p99 | non-2xx | ratio | notes |",
        "| --- | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    md += [f"| {' | '.join(row)} |" for row in rows]
    (out / "results.md").write_text("\n".join(md) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
