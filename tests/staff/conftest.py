import pytest

from staff.roles import set_role
from tests.conftest import client_for
from tests.factories import ManagerFactory


def staff_member(role: str):
    manager = ManagerFactory()
    set_role(manager.user, role)
    return manager.user


@pytest.fixture
def staff_client():
    """staff_client("teller") -> an API client for a new staff member with that role."""
    return lambda role: client_for(staff_member(role))
