"""Checks captured webhook deliveries with the reference Standard Webhooks library (PyPI
`standardwebhooks`), so that our signatures are verified by code we did not write.

Usage: python3 .ci/verify_webhooks.py captured.json
The file is written by the test `signed_events_arrive_in_order_once_each_in_both_formats_on_sqlite`
when CUSTODIAN_WEBHOOK_CAPTURE names it.
"""
import json
import sys

from standardwebhooks.webhooks import Webhook, WebhookVerificationError

captured = json.load(open(sys.argv[1]))
if not captured:
    sys.exit("no captured deliveries to verify")
for delivery in captured:
    headers = delivery["headers"]
    Webhook(delivery["secret"]).verify(delivery["body"], headers)
    # A tampered body must fail, or the check proves nothing.
    try:
        Webhook(delivery["secret"]).verify(delivery["body"] + " ", headers)
    except WebhookVerificationError:
        pass
    else:
        sys.exit("a tampered body verified: the check is broken")
print(f"standardwebhooks verified {len(captured)} deliveries")
