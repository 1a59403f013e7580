#!/usr/bin/env python3
"""A tiny webhook receiver for trying Custodian on one machine (the README's walkthrough).

    python3 examples/webhook-receiver.py 127.0.0.1:8081

Answers every POST with 204 and prints one line per delivery: the `webhook-id` header and the
body. It does not check signatures (see .ci/verify_webhooks.py for that). Standard library only.
"""
import sys
from http.server import BaseHTTPRequestHandler, HTTPServer


class Receiver(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        print(self.headers.get("webhook-id", "-"), body.decode("utf-8", "replace"), flush=True)
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


def main():
    host, _, port = (sys.argv[1] if len(sys.argv) > 1 else "127.0.0.1:8081").rpartition(":")
    server = HTTPServer((host or "127.0.0.1", int(port)), Receiver)
    print(f"listening on http://{host}:{port}/hooks", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
