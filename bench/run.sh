#!/usr/bin/env bash
# Custodian benchmark harness: release build, 10k generated customers, wrk load on loopback
# against Custodian and against the trivial in-repo baseline (bench/baseline). Prints a table and
# writes bench/out/results.md. No pass/fail thresholds. See bench/README.md.
#
#   bash bench/run.sh
#   BENCH_DURATION=30 BENCH_SQLITE_SYNCHRONOUS=normal bash bench/run.sh
set -euo pipefail

BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(dirname "$BENCH_DIR")"
OUT="${BENCH_OUT:-$BENCH_DIR/out}"

DURATION="${BENCH_DURATION:-10}"            # seconds per measured run
WARMUP="${BENCH_WARMUP:-3}"                 # seconds of discarded load before each run (0 = none)
THREADS="${BENCH_THREADS:-2}"               # wrk -t
CONNECTIONS="${BENCH_CONNECTIONS:-32}"      # wrk -c
WRK_TIMEOUT="${BENCH_WRK_TIMEOUT:-5}"       # seconds before wrk counts a request as timed out
CUSTOMERS="${BENCH_CUSTOMERS:-10000}"
SEED_WORKERS="${BENCH_SEED_WORKERS:-8}"
SYNCHRONOUS="${BENCH_SQLITE_SYNCHRONOUS:-full}"
DATABASE_URL_OVERRIDE="${BENCH_DATABASE_URL:-}"   # e.g. postgres://user:pw@127.0.0.1/empty_db
PORT="${BENCH_PORT:-18080}"
BASELINE_PORT="${BENCH_BASELINE_PORT:-18081}"
SECOND_PORT="${BENCH_SECOND_PORT:-$(( ${BENCH_PORT:-18080} + 2 ))}"  # get_contact_2p's second custodian process
SCENARIOS="${BENCH_SCENARIOS:-baseline_hello ceiling_read ceiling_write get_contact post_contact amend_withdraw}"
CEILING_ROWS="${BENCH_CEILING_ROWS:-10000}"   # rows in the ceiling servers' customer table
SKIP_BUILD="${BENCH_SKIP_BUILD:-0}"
WAIT_QUIET="${BENCH_WAIT_QUIET:-0}"         # up to this many seconds per scenario waiting for an idle machine
NOISY_RETRIES="${BENCH_NOISY_RETRIES:-0}"   # repeat a run in which other processes used > 0.25 core, at most this often
KEEP_TMP="${BENCH_KEEP_TMP:-0}"

LOAD_BEFORE="$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown)"
log() { printf '[bench] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

for v in WAIT_QUIET NOISY_RETRIES DURATION WARMUP THREADS CONNECTIONS WRK_TIMEOUT CUSTOMERS SEED_WORKERS PORT BASELINE_PORT SECOND_PORT CEILING_ROWS; do
  [[ "${!v}" =~ ^[0-9]+$ ]] || die "$v must be a whole number, not '${!v}'"
done
case "$SYNCHRONOUS" in full|normal) ;; *) die "BENCH_SQLITE_SYNCHRONOUS must be full or normal";; esac
(( DURATION > 0 && THREADS > 0 && CONNECTIONS >= THREADS )) || die "need BENCH_DURATION > 0 and BENCH_CONNECTIONS >= BENCH_THREADS"

# ---- tools ----
command -v python3 >/dev/null || die "python3 is required"
command -v curl >/dev/null || die "curl is required"
if ! command -v wrk >/dev/null; then
  if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
    log "wrk not found; installing the Debian package"
    apt-get install -y wrk >/dev/null || { apt-get update >/dev/null && apt-get install -y wrk >/dev/null; }
  fi
  command -v wrk >/dev/null || die "wrk not found (Debian/Ubuntu: apt-get install wrk)"
fi

# ---- build ----
if [[ "$SKIP_BUILD" != 1 ]]; then
  log "building release binaries"
  (cd "$ROOT" && cargo build --release -p custodian-server -p custodian-bench-baseline)
fi
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
CUSTODIAN="$TARGET_DIR/release/custodian"
BASELINE="$TARGET_DIR/release/bench-baseline"
[[ -x "$CUSTODIAN" && -x "$BASELINE" ]] || die "release binaries not found under $TARGET_DIR/release"

# ---- processes and clean-up ----
TMP="$(mktemp -d "${TMPDIR:-/tmp}/custodian-bench.XXXXXX")"
PIDS=()
cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  for pid in "${PIDS[@]}"; do
    wait "$pid" 2>/dev/null || true
  done
  if [[ "$KEEP_TMP" == 1 ]]; then log "kept $TMP"; else rm -rf "$TMP"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
wait_http() { # url pid name
  local i
  for i in $(seq 1 200); do
    kill -0 "$2" 2>/dev/null || die "$3 exited during start-up (log: $TMP/$3.log)"
    if curl -fs -o /dev/null --max-time 1 "$1"; then return 0; fi
    sleep 0.1
  done
  die "$3 did not answer $1 within 20 s"
}

for p in "$PORT" "$BASELINE_PORT"; do
  port_in_use "$p" && die "127.0.0.1:$p is already in use (set BENCH_PORT / BENCH_BASELINE_PORT)"
done

mkdir -p "$OUT"
rm -f "$OUT"/*.txt "$OUT"/results.md "$OUT"/*.log

if [[ -n "$DATABASE_URL_OVERRIDE" ]]; then
  DB_URL="$DATABASE_URL_OVERRIDE"
  DB_DESC="PostgreSQL (BENCH_DATABASE_URL)"
  [[ "$DB_URL" == sqlite:* ]] && DB_DESC="SQLite (BENCH_DATABASE_URL), synchronous=$SYNCHRONOUS"
else
  DB_URL="sqlite://$TMP/custodian.db"
  DB_DESC="SQLite, fresh file, synchronous=$SYNCHRONOUS"
fi

# The ceilings: the same kind of storage as Custodian's, with nothing else. On PostgreSQL the
# baseline's tables (ceiling_*) live in Custodian's database, so both use the same server.
CEILING_ARGS=(--sqlite "$TMP/ceiling.db" --sqlite-synchronous "$SYNCHRONOUS" --rows "$CEILING_ROWS")
CEILING_PREFIX=/sqlite
CEILING_DESC="SQLite (rusqlite, WAL, 4 readers on the blocking pool, 1 writer, BEGIN IMMEDIATE, synchronous=$SYNCHRONOUS)"
if [[ "$DB_URL" == postgres* ]]; then
  CEILING_ARGS=(--postgres "$DB_URL" --rows "$CEILING_ROWS")
  CEILING_PREFIX=/pg
  CEILING_DESC="PostgreSQL (sqlx, pool 16, BEGIN; INSERT … RETURNING; COMMIT), same server and database as Custodian"
fi
log "starting bench-baseline on 127.0.0.1:$BASELINE_PORT (ceilings: $CEILING_DESC)"
"$BASELINE" --listen "127.0.0.1:$BASELINE_PORT" "${CEILING_ARGS[@]}" >"$TMP/bench-baseline.log" 2>&1 &
PIDS+=($!)
wait_http "http://127.0.0.1:$BASELINE_PORT/hello" "${PIDS[-1]}" bench-baseline
export BENCH_CEILING_PREFIX="$CEILING_PREFIX" BENCH_CEILING_ROWS="$CEILING_ROWS"
log "starting custodian on 127.0.0.1:$PORT ($DB_DESC)"
CUSTODIAN_DATABASE__URL="$DB_URL" \
CUSTODIAN_DATABASE__SQLITE_SYNCHRONOUS="$SYNCHRONOUS" \
CUSTODIAN_LOG__LEVEL="${BENCH_LOG_LEVEL:-warn}" \
CUSTODIAN_SERVER__RATE_LIMIT_PER_MINUTE=0 \
  "$CUSTODIAN" serve --demo --demo-keys-file "$TMP/keys.json" --listen "127.0.0.1:$PORT" \
  >"$TMP/custodian.log" 2>&1 &
PIDS+=($!)
CUSTODIAN_PID="${PIDS[-1]}"
wait_http "http://127.0.0.1:$PORT/health" "$CUSTODIAN_PID" custodian
[[ -s "$TMP/keys.json" ]] || die "custodian did not write the demo keys file"
rss_kb() { awk '/^VmRSS:/{print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
sleep 1
RSS_IDLE_DEMO_KB=$(rss_kb "$CUSTODIAN_PID")   # idle after serve --demo seeded its data

# ---- dataset ----
# Generated as a JSON Lines file and loaded with `custodian import` (BENCH_SEED=api: through
# POST /api/v1/customers instead, the way it was seeded before the import existed).
SEED_MODE="${BENCH_SEED:-import}"
SEED_START=$(date +%s%N)
if [[ "$SEED_MODE" == api ]]; then
  log "generating $CUSTOMERS customers through the API"
  python3 "$BENCH_DIR/seed.py" seed --base "http://127.0.0.1:$PORT" --keys "$TMP/keys.json" \
    --count "$CUSTOMERS" --workers "$SEED_WORKERS" --max-seconds 600 --out "$TMP/ids.txt" | tee "$OUT/seed.log"
  SEED_HOW="through POST /api/v1/customers"
else
  log "generating $CUSTOMERS customers as JSON Lines"
  python3 "$BENCH_DIR/seed.py" jsonl --count "$CUSTOMERS" --out "$TMP/customers.jsonl"
  TENANT_ID="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["tenants"][0]["tenantId"])' "$TMP/keys.json")"
  SEED_START=$(date +%s%N)
  log "importing them with custodian import"
  CUSTODIAN_DATABASE__URL="$DB_URL" CUSTODIAN_DATABASE__SQLITE_SYNCHRONOUS="$SYNCHRONOUS" CUSTODIAN_LOG__LEVEL=warn \
    "$CUSTODIAN" import --tenant "$TENANT_ID" --ids "$TMP/ids.csv" "$TMP/customers.jsonl" </dev/null 2>&1 | tee "$OUT/seed.log" >&2
  tail -n +2 "$TMP/ids.csv" | cut -d, -f2 > "$TMP/ids.txt"
  [[ $(wc -l < "$TMP/ids.txt") -eq $CUSTOMERS ]] || die "the import did not create $CUSTOMERS customers (see $OUT/seed.log)"
  SEED_HOW="with custodian import"
fi
SEED_SECONDS=$(awk -v a="$SEED_START" -v b="$(date +%s%N)" 'BEGIN{printf "%.1f", (b-a)/1e9}')
sleep 1
RSS_IDLE_SEEDED_KB=$(rss_kb "$CUSTODIAN_PID")
SELF_SERVICE_KEY="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["tenants"][0]["selfServiceKey"])' "$TMP/keys.json")"

export BENCH_IDS_FILE="$TMP/ids.txt" BENCH_API_KEY="$SELF_SERVICE_KEY" BENCH_THREADS="$THREADS"

# ---- load ----
# CPU accounting, so that a run disturbed by other work on this shared machine shows it.
cpu_busy() { awk '/^cpu /{print $2+$3+$4+$7+$8+$9; exit}' /proc/stat; }   # all CPUs, jiffies
servers_cpu() { # utime+stime of the two servers, jiffies
  local p t=0
  for p in "${PIDS[@]}"; do t=$(( t + $(awk '{print $14+$15}' "/proc/$p/stat" 2>/dev/null || echo 0) )); done
  echo "$t"
}

run_wrk() { # name url script seconds outfile
  local name="$1" url="$2" script="$3" secs="$4" outfile="$5"
  local b0 s0 w0 b1 s1 w1 rc=0 TIMEFORMAT='%3U %3S'
  b0=$(cpu_busy); s0=$(servers_cpu); w0=$(date +%s%N)
  # Custodian's resident memory, sampled twice a second while the load runs (its peak is reported).
  echo 0 >"$TMP/rss-peak"
  ( peak=0; while :; do r=$(rss_kb "$CUSTODIAN_PID"); if (( r > peak )); then peak=$r; echo "$peak" >"$TMP/rss-peak"; fi; sleep 0.5; done ) &
  local sampler=$!
  # wrk stops itself after -d; timeout is only a guard against a hung run.
  if [[ -n "${WRK_SECOND_URL:-}" ]]; then
    # Two processes: half the connections (and threads) each, at the same time; one result line.
    local half_c=$(( CONNECTIONS / 2 )) half_t=$(( THREADS / 2 > 0 ? THREADS / 2 : 1 )) rc2=0
    { time {
        timeout --signal=INT "$(( secs + 30 ))" wrk -t"$half_t" -c"$half_c" -d"${secs}s" --timeout "${WRK_TIMEOUT}s" \
          --latency -s "$BENCH_DIR/wrk/$script" "$url" >"$outfile.first" 2>&1 &
        local first=$!
        timeout --signal=INT "$(( secs + 30 ))" wrk -t"$half_t" -c"$half_c" -d"${secs}s" --timeout "${WRK_TIMEOUT}s" \
          --latency -s "$BENCH_DIR/wrk/$script" "$WRK_SECOND_URL" >"$outfile.second" 2>&1 || rc2=$?
        wait "$first" || rc=$?
        (( rc == 0 )) && rc=$rc2
      } ; } 2>"$TMP/wrk-time"
    python3 "$BENCH_DIR/summarize.py" --combine "$outfile.first" "$outfile.second" >"$outfile" || rc=1
  else
    { time timeout --signal=INT "$(( secs + 30 ))" \
        wrk -t"$THREADS" -c"$CONNECTIONS" -d"${secs}s" --timeout "${WRK_TIMEOUT}s" --latency \
          -s "$BENCH_DIR/wrk/$script" "$url" >"$outfile" 2>&1 ; } 2>"$TMP/wrk-time" || rc=$?
  fi
  b1=$(cpu_busy); s1=$(servers_cpu); w1=$(date +%s%N)
  kill "$sampler" 2>/dev/null; wait "$sampler" 2>/dev/null || true
  echo "BENCH_MEM custodian_rss_peak_kb=$(cat "$TMP/rss-peak")" >>"$outfile"
  if (( rc != 0 )); then cat "$outfile" >&2; die "wrk failed for $name (exit $rc)"; fi
  grep -q '^BENCH_RESULT ' "$outfile" || { cat "$outfile" >&2; die "no result line from wrk for $name"; }
  local hz wrk_user wrk_sys; hz=$(getconf CLK_TCK)
  read -r wrk_user wrk_sys <"$TMP/wrk-time"
  awk -v wall="$(( (w1 - w0) / 1000000 ))" -v busy="$(( b1 - b0 ))" -v srv="$(( s1 - s0 ))" \
      -v hz="$hz" -v wu="$wrk_user" -v ws="$wrk_sys" 'BEGIN {
    s = wall / 1000; all = busy / hz / s; server = srv / hz / s; w = (wu + ws) / s; other = all - server - w;
    if (other < 0) other = 0;
    printf "BENCH_CPU cores_busy=%.2f server_cores=%.2f wrk_cores=%.2f other_cores=%.2f\n", all, server, w, other
  }' >>"$outfile"
}

# With BENCH_WAIT_QUIET > 0: before a scenario, wait (at most that long) until the machine's
# other work uses less than 0.25 of a core over 2 s, so a concurrent build does not skew the run.
wait_quiet() {
  (( WAIT_QUIET > 0 )) || return 0
  local deadline=$(( $(date +%s) + WAIT_QUIET )) b0 b1 hz; hz=$(getconf CLK_TCK)
  while :; do
    b0=$(cpu_busy); sleep 2; b1=$(cpu_busy)
    if (( (b1 - b0) * 100 < hz * 2 * 25 )); then return 0; fi
    if (( $(date +%s) >= deadline )); then
      log "machine still busy ($(( (b1 - b0) * 100 / (hz * 2) ))% of a core used by other processes); running anyway"
      return 0
    fi
  done
}

withdraw_pending() {
  python3 "$BENCH_DIR/seed.py" withdraw-pending --base "http://127.0.0.1:$PORT" --keys "$TMP/keys.json" >&2
}

scenario() { # name url script
  local name="$1" url="$2" script="$3" attempt other
  wait_quiet
  if (( WARMUP > 0 )); then
    log "$name: ${WARMUP} s warm-up"
    run_wrk "$name" "$url" "$script" "$WARMUP" "$OUT/$name.warmup.log"
    if [[ "$name" == amend_withdraw ]]; then withdraw_pending; fi
  fi
  for (( attempt = 0; ; attempt++ )); do
    log "$name: ${DURATION} s, wrk -t$THREADS -c$CONNECTIONS"
    run_wrk "$name" "$url" "$script" "$DURATION" "$OUT/$name.txt"
    if [[ "$name" == amend_withdraw ]]; then withdraw_pending; fi
    other="$(sed -n 's/^BENCH_CPU .*other_cores=\([0-9.]*\).*/\1/p' "$OUT/$name.txt")"
    if (( attempt >= NOISY_RETRIES )) || awk -v o="${other:-0}" 'BEGIN { exit !(o <= 0.25) }'; then break; fi
    log "$name: other processes used ${other} cores during the run; repeating it"
    wait_quiet
  done
  grep -E '^(BENCH_RESULT|BENCH_CPU|BENCH_MEM|first non-200)' "$OUT/$name.txt" | sed 's/^/  /' >&2
  kill -0 "$CUSTODIAN_PID" 2>/dev/null || die "custodian exited (log: $OUT/custodian.log)"
}

# get_contact_2p: a second custodian process (`serve`, no demo data) on the same database.
SECOND_STARTED=0
start_second() {
  (( SECOND_STARTED )) && return 0
  port_in_use "$SECOND_PORT" && die "127.0.0.1:$SECOND_PORT is already in use (set BENCH_SECOND_PORT)"
  log "starting a second custodian on 127.0.0.1:$SECOND_PORT (same database)"
  CUSTODIAN_DATABASE__URL="$DB_URL" \
  CUSTODIAN_DATABASE__SQLITE_SYNCHRONOUS="$SYNCHRONOUS" \
  CUSTODIAN_LOG__LEVEL="${BENCH_LOG_LEVEL:-warn}" \
  CUSTODIAN_SERVER__RATE_LIMIT_PER_MINUTE=0 \
    "$CUSTODIAN" serve --listen "127.0.0.1:$SECOND_PORT" >"$TMP/custodian-second.log" 2>&1 &
  PIDS+=($!)
  wait_http "http://127.0.0.1:$SECOND_PORT/health" "${PIDS[-1]}" custodian-second
  SECOND_STARTED=1
}

B="http://127.0.0.1:$BASELINE_PORT"
C="http://127.0.0.1:$PORT"
for s in $SCENARIOS; do
  case "$s" in
    baseline_hello) scenario "$s" "$B/hello" hello.lua ;;
    baseline_echo)  scenario "$s" "$B/echo" echo.lua ;;
    ceiling_read)   scenario "$s" "$B/" ceiling_read.lua ;;
    ceiling_write)  scenario "$s" "$B/" ceiling_write.lua ;;
    get_contact)    scenario "$s" "$C/" get_contact.lua ;;
    get_contact_2p) start_second; WRK_SECOND_URL="http://127.0.0.1:$SECOND_PORT/" scenario "$s" "$C/" get_contact.lua ;;
    post_contact)   scenario "$s" "$C/" post_contact.lua ;;
    post_email)     scenario "$s" "$C/" post_email.lua ;;
    amend_withdraw) scenario "$s" "$C/" amend_withdraw.lua ;;
    *) die "unknown scenario '$s'" ;;
  esac
done
cp "$TMP/custodian.log" "$OUT/custodian.log" 2>/dev/null || true

# ---- summary ----
COMMIT="$(cd "$ROOT" && git rev-parse --short HEAD 2>/dev/null || echo unknown)"
if [[ -n "$(cd "$ROOT" && git status --porcelain 2>/dev/null | head -1)" ]]; then COMMIT="$COMMIT (with uncommitted changes)"; fi
python3 - "$TMP/meta.json" <<PY
import json, sys
json.dump({
    "date": "$(date -u '+%Y-%m-%d %H:%M UTC')",
    "commit": "$COMMIT (HEAD when the run ended; the custodian binary was built $(date -u -r "$CUSTODIAN" '+%Y-%m-%d %H:%M UTC') from the working tree)",
    "machine": "$(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), load average before the run: $LOAD_BEFORE",
    "load": "$(wrk -v 2>&1 | head -1 | cut -d' ' -f1-2), -t$THREADS -c$CONNECTIONS, ${WARMUP} s warm-up then one ${DURATION} s run per scenario, on loopback, sharing the CPUs with the servers",
    "database": "$DB_DESC",
    "ceilings": "$CEILING_DESC, $CEILING_ROWS rows of ~500-byte JSON",
    "memory": "custodian resident set: $(( RSS_IDLE_DEMO_KB / 1024 )) MB idle after serve --demo, $(( RSS_IDLE_SEEDED_KB / 1024 )) MB idle after seeding $CUSTOMERS customers",
    "dataset": "$CUSTOMERS customers in one tenant (loaded in ${SEED_SECONDS} s $SEED_HOW)",
}, open(sys.argv[1], "w"), indent=1)
PY
echo
python3 "$BENCH_DIR/summarize.py" "$OUT" "$TMP/meta.json"
echo
log "wrote $OUT/results.md (raw wrk output: $OUT/*.txt)"
