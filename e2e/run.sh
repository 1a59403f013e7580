#!/usr/bin/env bash
# End-to-end tests of the staff console in a real browser.
#
# Builds the custodian binary, starts it on a free loopback port with a fresh SQLite file and the
# --demo data, creates a reviewer and an admin with the CLI (`custodian staff create`), runs the
# Playwright tests (playwright-core driving Debian's Chromium) and stops the server. Screenshots of
# every page land in e2e/screenshots/.
#
# Needs: cargo, node >= 20 with npm, and Chromium at /usr/bin/chromium (apt-get install -y chromium),
# or CHROMIUM=/path/to/chromium.
set -euo pipefail
cd "$(dirname "$0")/.."

CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
if [ ! -x "$CHROMIUM" ]; then
    echo "e2e: Chromium not found at $CHROMIUM (apt-get install -y chromium, or set CHROMIUM)" >&2
    exit 1
fi
if [ ! -d e2e/node_modules/playwright-core ]; then
    (cd e2e && npm ci --no-audit --no-fund)
fi

cargo build -p custodian-server --locked
TARGET_DIR=${CARGO_TARGET_DIR:-$PWD/target}
BIN="$TARGET_DIR/debug/custodian"

WORK=$(mktemp -d)
SERVER_PID=""
cleanup() {
    if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill "$SERVER_PID"
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT

PORT=$(node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
BASE_URL="http://127.0.0.1:$PORT"

# A fresh database; cookies without Secure (plain http on loopback); webhooks may go to a local
# receiver the tests start.
export DATABASE_URL="sqlite://$WORK/e2e.db"
export CUSTODIAN_CONSOLE__COOKIE_SECURE=false
# The suite signs in a dozen times a minute from one address: no per-address sign-in budget here.
export CUSTODIAN_CONSOLE__SIGN_INS_PER_MINUTE=0
export CUSTODIAN_LOG__LEVEL=${CUSTODIAN_LOG__LEVEL:-warn}
export CUSTODIAN_WEBHOOKS__ALLOW_PRIVATE_ADDRESSES=true
export CUSTODIAN_WEBHOOKS__ALLOW_HTTP_HOSTS='["127.0.0.1"]'
export CUSTODIAN_WEBHOOKS__POLL_INTERVAL_MS=200

"$BIN" serve --demo --demo-keys-file "$WORK/demo.json" --listen "127.0.0.1:$PORT" >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
healthy() { node -e 'fetch(process.argv[1]).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))' "$BASE_URL/health"; }
for _ in $(seq 1 100); do
    if healthy; then break; fi
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then
        echo "e2e: the server did not start:" >&2
        cat "$WORK/server.log" >&2
        exit 1
    fi
    sleep 0.2
done
healthy

# Staff accounts, created the way an operator would: the password comes in on standard input.
E2E_PASSWORD=$(node -e 'console.log(require("crypto").randomBytes(12).toString("hex"))')
printf '%s\n' "$E2E_PASSWORD" | "$BIN" staff create --tenant 1 --username e2e-reviewer --role reviewer --password-stdin
printf '%s\n' "$E2E_PASSWORD" | "$BIN" staff create --tenant 1 --username e2e-admin --role admin --password-stdin

# The root of a partner hierarchy in the demo studio, as an operator creates one; the CLI names
# its customer id on standard error.
PARTNER_ROOT_ID=$("$BIN" partners create --tenant 1 --name "Acme IoT Connectivity Services" --currency EUR 2>&1 >/dev/null |
    sed -n 's/.*(id \([0-9]*\)).*/\1/p')

status=0
(
    cd e2e
    BASE_URL="$BASE_URL" DEMO_KEYS="$WORK/demo.json" E2E_PASSWORD="$E2E_PASSWORD" CHROMIUM="$CHROMIUM" \
        PARTNER_ROOT_ID="$PARTNER_ROOT_ID" \
        node --test --test-concurrency=1 tests/
) || status=$?
if [ "$status" != 0 ]; then
    echo "e2e: tests failed; server log:" >&2
    tail -n 50 "$WORK/server.log" >&2
fi
exit "$status"
