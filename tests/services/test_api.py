import pytest
from rest_framework.test import APIClient

from services import services as catalogue
from services.models import Service
from tests.helpers import count_queries

URL = "/api/services/"


def detail(service):
    return f"{URL}{service.pk}/"


@pytest.fixture
def savings(db):
    return catalogue.create_service(name="Savings", description="Earn interest.", display_order=1)


@pytest.fixture
def hidden(db):
    return catalogue.create_service(name="Retired product", is_active=False)


NEW = {"name": "Credit cards", "description": "Cards for everyday spending.", "image": "https://example.com/c.png"}


def test_anonymous_lists_active_services_as_a_bare_array(savings, hidden):
    response = APIClient().get(URL)
    assert response.status_code == 200
    assert [row["name"] for row in response.data] == ["Savings"]
    assert APIClient().get(URL, {"page": 1}).data["count"] == 1
    assert set(response.data[0]) == {
        "id", "name", "description", "image", "is_active", "display_order", "created_at", "updated_at"
    }


def test_inactive_service_is_hidden_from_customers_but_not_from_managers(hidden, customer_client, manager_client):
    assert customer_client.get(detail(hidden)).status_code == 404
    assert APIClient().get(detail(hidden)).status_code == 404
    assert manager_client.get(detail(hidden)).status_code == 200
    assert len(manager_client.get(URL).data) == 1


def test_services_listed_in_display_order(db):
    catalogue.create_service(name="Third", display_order=3)
    catalogue.create_service(name="First", display_order=1)
    catalogue.create_service(name="Second", display_order=2)
    assert [row["name"] for row in APIClient().get(URL).data] == ["First", "Second", "Third"]


def test_anonymous_post_is_401(db):
    response = APIClient().post(URL, NEW, format="json")
    assert response.status_code == 401
    assert not Service.objects.exists()


def test_customer_post_is_403(customer_client):
    response = customer_client.post(URL, NEW, format="json")
    assert response.status_code == 403
    assert not Service.objects.exists()


def test_manager_post_creates_service(manager_client):
    response = manager_client.post(URL, NEW, format="json")
    assert response.status_code == 201, response.data
    service = Service.objects.get()
    assert response.data["id"] == service.pk
    assert (service.name, service.image, service.is_active) == ("Credit cards", NEW["image"], True)


@pytest.mark.parametrize(
    "body, field",
    [
        ({"name": ""}, "name"),
        ({"name": "x" * 101}, "name"),
        ({"name": "Ok", "image": "not a url"}, "image"),
        ({"name": "Ok", "display_order": -1}, "display_order"),
        ({"name": "Ok", "is_active": "perhaps"}, "is_active"),
    ],
)
def test_manager_post_bad_input_is_400(manager_client, body, field):
    response = manager_client.post(URL, body, format="json")
    assert response.status_code == 400
    assert field in response.data


def test_duplicate_name_ignoring_case_is_400(manager_client, savings):
    response = manager_client.post(URL, {"name": "  SAVINGS "}, format="json")
    assert response.status_code == 400
    assert "already exists" in str(response.data)
    assert Service.objects.count() == 1


def test_manager_updates_and_deletes(manager_client, savings):
    response = manager_client.patch(detail(savings), {"is_active": False, "display_order": 5}, format="json")
    assert response.status_code == 200, response.data
    savings.refresh_from_db()
    assert (savings.is_active, savings.display_order, savings.description) == (False, 5, "Earn interest.")

    response = manager_client.put(detail(savings), {"name": "Savings plus"}, format="json")
    assert response.status_code == 200
    savings.refresh_from_db()
    assert savings.name == "Savings plus"

    assert manager_client.delete(detail(savings)).status_code == 204
    assert not Service.objects.exists()


def test_customer_and_anonymous_cannot_change_or_delete(customer_client, savings):
    assert customer_client.patch(detail(savings), {"name": "Mine"}, format="json").status_code == 403
    assert customer_client.delete(detail(savings)).status_code == 403
    assert APIClient().put(detail(savings), {"name": "Mine"}, format="json").status_code == 401
    assert APIClient().delete(detail(savings)).status_code == 401
    savings.refresh_from_db()
    assert savings.name == "Savings"


def test_list_query_count_does_not_grow(db):
    client = APIClient()
    catalogue.create_service(name="One")
    few = count_queries(client, URL)
    for n in range(10):
        catalogue.create_service(name=f"More {n}")
    assert count_queries(client, URL) == few
    assert len(client.get(URL).data) == 11
