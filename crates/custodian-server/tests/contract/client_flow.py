"""The self-service flow and a staff approval through a Python client generated from the OpenAPI
document with openapi-python-client (the package `custodian_client` must be importable).

Usage: client_flow.py BASE_URL SELF_SERVICE_KEY STAFF_KEY CUSTOMER_ID
The customer's tenant must queue address changes for review (the demo's first tenant does).
Exits non-zero with a message on the first unexpected answer."""

import sys

from custodian_client import AuthenticatedClient
from custodian_client.api.customers_self_service import (
    create_customer_address_data_amendment,
    get_customer_address_data,
    withdraw_amendment,
)
from custodian_client.api.review import approve_amendment, list_amendments
from custodian_client.models import AddressData, AmendmentConfigurationStatus


def check(cond, what):
    if not cond:
        sys.exit(f"client flow failed: {what}")


base, self_key, staff_key, customer = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
app = AuthenticatedClient(base_url=base, token=self_key, prefix="", auth_header_name="X-API-KEY")
staff = AuthenticatedClient(base_url=base, token=staff_key, prefix="", auth_header_name="X-API-KEY")

# read
current = get_customer_address_data.sync(customer, client=app)
check(current is not None, "GET address-data did not parse")
check(
    current.amendment_configuration_status == AmendmentConfigurationStatus.CHANGES_REQUIRE_VERIFICATION,
    f"unexpected policy {current.amendment_configuration_status}",
)

# submit, see it pending, withdraw
proposal = AddressData(street="Am Bahnhof", house_number="90", zip_code="12133", city="Munich", country_code="DE")
created = create_customer_address_data_amendment.sync(customer, client=app, body=proposal)
check(created is not None and hasattr(created, "id"), f"submission was not accepted: {created}")
pending = get_customer_address_data.sync(customer, client=app)
check(pending.pending_amendment is not None, "the submitted amendment is not pending")
check(pending.pending_amendment.id == created.id, "another amendment is pending")
withdrawn = withdraw_amendment.sync_detailed(customer, created.id, client=app)
check(withdrawn.status_code == 200, f"withdraw answered {withdrawn.status_code}")
after = get_customer_address_data.sync(customer, client=app)
check(not after.pending_amendment, "the withdrawn amendment is still pending")

# submit again; staff find it in the queue and approve it
again = create_customer_address_data_amendment.sync(customer, client=app, body=proposal)
check(again is not None and hasattr(again, "id"), f"second submission was not accepted: {again}")
queue = list_amendments.sync(client=staff)
check(queue is not None and any(a.id == again.id for a in queue.items), "the amendment is not in the review queue")
approved = approve_amendment.sync(again.id, client=staff)
check(approved is not None and hasattr(approved, "state"), f"approval failed: {approved}")
final = get_customer_address_data.sync(customer, client=app)
check(final["street"] == "Am Bahnhof" and final["city"] == "Munich", f"the approved address is not current: {final.to_dict()}")
check(not final.pending_amendment, "an amendment is still pending after approval")
print("client flow: read, submit, pending, withdraw, submit, queue, approve: ok")
