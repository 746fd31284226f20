import pytest
from django.test import override_settings
from rest_framework.test import APIClient

from contact.models import ContactMessage
from services import services as catalogue
from tests.helpers import count_queries

URL = "/api/contact/"
VALID = {"name": "Rahim", "email": "rahim@example.com", "phone": "+880 1712-345678", "message": "Please call me."}


def test_anonymous_valid_message_is_201_and_stored(db):
    service = catalogue.create_service(name="Loans")
    response = APIClient().post(URL, {**VALID, "service": service.pk}, format="json")
    assert response.status_code == 201, response.data
    stored = ContactMessage.objects.get()
    assert response.data["id"] == stored.pk
    assert (stored.email, stored.service, stored.is_handled) == ("rahim@example.com", service, False)
    assert "is_handled" not in response.data  # the public does not see the inbox state


@pytest.mark.parametrize(
    "change, field",
    [
        ({"email": "not-an-email"}, "email"),
        ({"email": ""}, "email"),
        ({"name": ""}, "name"),
        ({"name": "x" * 101}, "name"),
        ({"message": ""}, "message"),
        ({"message": "x" * 5001}, "message"),
        ({"phone": "call me maybe"}, "phone"),
        ({"service": 999999}, "service"),
    ],
)
def test_invalid_message_is_400_and_nothing_stored(db, change, field):
    response = APIClient().post(URL, {**VALID, **change}, format="json")
    assert response.status_code == 400
    assert field in response.data
    assert not ContactMessage.objects.exists()


def test_inactive_service_cannot_be_named(db):
    service = catalogue.create_service(name="Gone", is_active=False)
    response = APIClient().post(URL, {**VALID, "service": service.pk}, format="json")
    assert response.status_code == 400
    assert "service" in response.data


@override_settings(API_THROTTLE=True)
def test_eleventh_message_in_a_minute_from_one_ip_is_429(db, customer_client):
    client = APIClient()
    for n in range(10):
        assert client.post(URL, VALID, format="json").status_code == 201, n
    response = client.post(URL, VALID, format="json")
    assert response.status_code == 429
    # A forged X-Forwarded-For does not pick a fresh bucket (NUM_PROXIES=0: the socket address counts).
    assert client.post(URL, VALID, format="json", HTTP_X_FORWARDED_FOR="203.0.113.9").status_code == 429
    # Counted per IP, so logging in does not buy another ten.
    assert customer_client.post(URL, VALID, format="json").status_code == 429
    assert ContactMessage.objects.count() == 10
    # Another address still gets through.
    assert APIClient(REMOTE_ADDR="10.1.2.3").post(URL, VALID, format="json").status_code == 201


def test_customer_cannot_list_or_handle(customer_client, db):
    message = ContactMessage.objects.create(**{k: v for k, v in VALID.items()})
    assert customer_client.get(URL).status_code == 403
    assert customer_client.get(f"{URL}{message.pk}/").status_code == 403
    assert customer_client.post(f"{URL}{message.pk}/handle/").status_code == 403
    assert APIClient().get(URL).status_code == 401
    message.refresh_from_db()
    assert not message.is_handled


def test_manager_lists_and_filters_messages(manager_client, db):
    client = APIClient()
    client.post(URL, VALID, format="json")
    client.post(URL, {**VALID, "name": "Karim"}, format="json")
    response = manager_client.get(URL)
    assert response.status_code == 200
    assert response.data["count"] == 2
    assert [row["name"] for row in response.data["results"]] == ["Karim", "Rahim"]  # newest first
    assert response.data["results"][0]["is_handled"] is False

    first = ContactMessage.objects.get(name="Rahim")
    manager_client.post(f"{URL}{first.pk}/handle/")
    response = manager_client.get(URL, {"is_handled": "false"})
    assert [row["name"] for row in response.data["results"]] == ["Karim"]


def test_manager_marks_handled_once_and_it_records_who(manager_client, manager, db):
    APIClient().post(URL, VALID, format="json")
    message = ContactMessage.objects.get()
    response = manager_client.post(f"{URL}{message.pk}/handle/")
    assert response.status_code == 200
    assert response.data["is_handled"] is True
    assert response.data["handled_by"] == manager.user.pk
    assert response.data["handled_by_username"] == manager.user.username
    message.refresh_from_db()
    assert message.handled_by == manager.user and message.handled_at is not None

    again = manager_client.post(f"{URL}{message.pk}/handle/")
    assert again.status_code == 409
    assert again.data["code"] == "already_handled"


def test_handle_unknown_message_is_404(manager_client):
    assert manager_client.post(f"{URL}424242/handle/").status_code == 404


def test_list_query_count_does_not_grow(manager_client, manager, db):
    from contact import services as inbox

    service = catalogue.create_service(name="Loans")
    def add(n):
        for i in range(n):
            message = inbox.submit_message(name=f"N{i}", email="a@example.com", message="Hello", service=service)
            if i % 2:
                inbox.mark_handled(contact=message, handled_by=manager.user)

    add(1)
    few = count_queries(manager_client, URL)
    add(10)
    assert count_queries(manager_client, URL) == few
    assert manager_client.get(URL).data["count"] == 11
