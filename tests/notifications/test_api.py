"""GET /api/notifications/ and the email preferences: one's own only, bad input is a 400."""

import pytest

from notifications import services
from notifications.models import EmailPreference, Kind
from tests.conftest import client_for
from tests.helpers import count_queries

pytestmark = pytest.mark.django_db


def tell(user, event, kind="money_received"):
    services.notify(user=user, kind=kind, event=event, subject=f"about {event}", body="...")


def test_customers_list_only_their_own_notifications_newest_first(customer, other_customer):
    tell(customer.user, "a")
    tell(customer.user, "b", kind="new_sign_in")
    tell(other_customer.user, "c")
    body = client_for(customer.user).get("/api/notifications/").json()
    assert body["count"] == 2
    assert [row["subject"] for row in body["results"]] == ["about b", "about a"]
    assert set(body["results"][0]) == {"id", "kind", "subject", "body", "created_at", "email_status", "emailed_at"}
    filtered = client_for(customer.user).get("/api/notifications/?kind=new_sign_in").json()
    assert [row["kind"] for row in filtered["results"]] == ["new_sign_in"]


def test_the_list_needs_a_login(api_client):
    assert api_client.get("/api/notifications/").status_code == 401
    assert api_client.get("/api/notifications/preferences/").status_code == 401


def test_the_list_costs_the_same_queries_for_one_or_many(customer):
    client = client_for(customer.user)
    tell(customer.user, "first")
    one = count_queries(client, "/api/notifications/")
    for n in range(15):
        tell(customer.user, f"e{n}")
    assert count_queries(client, "/api/notifications/") == one <= 3  # the user, COUNT, the page


def test_every_kind_is_emailed_until_the_customer_opts_out(customer):
    client = client_for(customer.user)
    assert client.get("/api/notifications/preferences/").json() == {kind: True for kind in Kind.values}
    response = client.put("/api/notifications/preferences/", {"new_sign_in": False}, format="json")
    assert response.status_code == 200 and response.json()["new_sign_in"] is False
    assert response.json()["money_received"] is True
    assert client.patch("/api/notifications/preferences/", {"new_sign_in": True}, format="json").json()[
        "new_sign_in"] is True
    assert EmailPreference.objects.filter(user=customer.user).count() == 1


@pytest.mark.parametrize("body, field", [
    ({"no_such_kind": False}, "no_such_kind"),
    ({"new_sign_in": "maybe"}, "new_sign_in"),
    ({"new_sign_in": 0}, "new_sign_in"),
    (["new_sign_in"], "non_field_errors"),
])
def test_bad_preferences_are_400_with_a_message_and_nothing_changes(customer, body, field):
    response = client_for(customer.user).put("/api/notifications/preferences/", body, format="json")
    assert response.status_code == 400 and field in response.json()
    assert not EmailPreference.objects.exists()
