#!/usr/bin/env python3
"""Generate the benchmark dataset through Custodian's public admin API.

Reads the `--demo-keys-file` JSON written by `custodian serve --demo`, creates N customers in the
first demo tenant (contact CHANGES_WITHOUT_VERIFICATION, address CHANGES_REQUIRE_VERIFICATION)
with `POST /api/v1/customers` from several keep-alive connections in parallel, and writes the new
customer ids, one per line. Python 3.11 standard library only.

    seed.py --base http://127.0.0.1:18080 --keys keys.json --count 10000 --out ids.txt

Also `seed.py withdraw-pending ...` withdraws every pending address amendment of the tenant, so
that a run of the amend+withdraw scenario starts from a clean state.
"""

from __future__ import annotations

import argparse
import http.client
import json
import sys
import threading
import time
import urllib.parse

FIRST = ["Anna", "Lukas", "Mia", "Sven", "Lea", "Jonas", "Emma", "Paul", "Hanna", "Felix"]
LAST = ["Schmidt", "Weber", "Fischer", "Meyer", "Wagner", "Becker", "Schulz", "Hoffmann"]
CITIES = [("10115", "Berlin"), ("20095", "Hamburg"), ("80331", "Munich"), ("50667", "Cologne")]


def customer_record(i: int) -> dict:
    zip_code, city = CITIES[i % len(CITIES)]
    return {
            "contact": {"email": f"customer{i}@example.com", "phonePrivate": "+49 30 1234567"},
            "address": {
                "street": "Hauptstrasse",
                "houseNumber": str(1 + i % 200),
                "zipCode": zip_code,
                "city": city,
                "countryCode": "DE",
            },
            "master": {
                "firstName": FIRST[i % len(FIRST)],
                "lastName": LAST[(i // len(FIRST)) % len(LAST)],
                "gender": "FEMALE" if i % 2 else "MALE",
                "dateOfBirth": f"{1950 + i % 50}-{1 + i % 12:02d}-{1 + i % 28:02d}",
                "customerTitle": "NONE",
            },
        }


def customer_body(i: int) -> bytes:
    return json.dumps(customer_record(i)).encode()


def write_jsonl(args: argparse.Namespace) -> int:
    """The same customers as an import file for `custodian import`, keyed by externalId B-<i>."""
    with open(args.out, "w", encoding="utf-8") as f:
        for i in range(args.count):
            record = {"externalId": f"B-{i}", **customer_record(i)}
            f.write(json.dumps(record, separators=(",", ":")))
            f.write("\n")
    return 0


class Client:
    """One keep-alive HTTP/1.1 connection; reconnects once on a dropped connection."""

    def __init__(self, base: str, key: str):
        u = urllib.parse.urlsplit(base)
        self.host, self.port = u.hostname, u.port or 80
        self.key = key
        self.conn = http.client.HTTPConnection(self.host, self.port, timeout=30)

    def call(self, method: str, path: str, body: bytes | None = None) -> tuple[int, bytes]:
        headers = {"X-API-KEY": self.key}
        if body is not None:
            headers["Content-Type"] = "application/json"
        for attempt in range(2):
            try:
                self.conn.request(method, path, body=body, headers=headers)
                r = self.conn.getresponse()
                return r.status, r.read()
            except (http.client.HTTPException, ConnectionError):
                self.conn.close()
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
                if attempt:
                    raise
        raise AssertionError("unreachable")


def tenant(keys_path: str) -> dict:
    with open(keys_path, encoding="utf-8") as f:
        return json.load(f)["tenants"][0]


def seed(args: argparse.Namespace) -> int:
    t = tenant(args.keys)
    ids: list[int] = []
    failures: list[str] = []
    lock = threading.Lock()
    next_index = iter(range(args.count))
    deadline = time.monotonic() + args.max_seconds

    def worker() -> None:
        c = Client(args.base, t["adminKey"])
        while time.monotonic() < deadline:
            with lock:
                i = next(next_index, None)
            if i is None or failures:
                return
            status, body = c.call("POST", "/api/v1/customers", customer_body(i))
            with lock:
                if status == 201:
                    ids.append(json.loads(body)["id"])
                else:
                    failures.append(f"customer {i}: HTTP {status} {body[:200]!r}")

    start = time.monotonic()
    threads = [threading.Thread(target=worker) for _ in range(args.workers)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    took = time.monotonic() - start
    if failures:
        print("seed: " + "; ".join(failures[:5]), file=sys.stderr)
        return 1
    if len(ids) != args.count:
        print(f"seed: only {len(ids)} of {args.count} customers created in {args.max_seconds} s", file=sys.stderr)
        return 1
    ids.sort()
    with open(args.out, "w", encoding="utf-8") as f:
        f.write("\n".join(map(str, ids)) + "\n")
    print(f"seed: created {len(ids)} customers in {took:.1f} s ({len(ids) / took:.0f}/s) with {args.workers} workers")
    # Check the self-service key can read one of them before any load runs.
    status, body = Client(args.base, t["selfServiceKey"]).call("GET", f"/v1/customers/{ids[0]}/self-service/contact-data")
    if status != 200:
        print(f"seed: GET contact-data of customer {ids[0]} answered HTTP {status} {body[:200]!r}", file=sys.stderr)
        return 1
    return 0


def withdraw_pending(args: argparse.Namespace) -> int:
    t = tenant(args.keys)
    staff, ss = Client(args.base, t["staffKey"]), Client(args.base, t["selfServiceKey"])
    withdrawn, cursor = 0, None
    while True:
        q = "state=pending&domain=address&limit=200" + (f"&cursor={cursor}" if cursor else "")
        status, body = staff.call("GET", f"/api/v1/amendments?{q}")
        if status != 200:
            print(f"withdraw-pending: listing answered HTTP {status} {body[:200]!r}", file=sys.stderr)
            return 1
        page = json.loads(body)
        for a in page["items"]:
            s, b = ss.call("DELETE", f"/v1/customers/{a['customerId']}/self-service/amendment/{a['id']}")
            if s != 200:
                print(f"withdraw-pending: amendment {a['id']}: HTTP {s} {b[:200]!r}", file=sys.stderr)
                return 1
            withdrawn += 1
        cursor = page.get("nextCursor")
        if not cursor:
            break
    print(f"withdraw-pending: withdrew {withdrawn} pending address amendment(s) left by the previous run")
    return 0


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("command", nargs="?", default="seed", choices=["seed", "withdraw-pending", "jsonl"])
    p.add_argument("--base", help="e.g. http://127.0.0.1:18080 (loopback only)")
    p.add_argument("--keys", help="the --demo-keys-file JSON")
    p.add_argument("--count", type=int, default=10000)
    p.add_argument("--workers", type=int, default=8)
    p.add_argument("--max-seconds", type=float, default=600, help="give up after this long")
    p.add_argument("--out", default="ids.txt")
    args = p.parse_args()
    if args.command == "jsonl":
        return write_jsonl(args)
    if not args.base or not args.keys:
        p.error("--base and --keys are required")
    host = urllib.parse.urlsplit(args.base).hostname
    if host not in ("127.0.0.1", "localhost", "::1"):
        p.error("--base must be a loopback address")
    return seed(args) if args.command == "seed" else withdraw_pending(args)


if __name__ == "__main__":
    sys.exit(main())
