"""The admin index carries the report charts for staff who may see the reports, and only them."""

import pytest
from django.test import Client

from staff.roles import set_role
from tests.factories import ManagerFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("role, shown", [("branch_manager", True), ("auditor", True), ("teller", False)])
def test_the_charts_are_on_the_index_for_those_who_may_see_reports(role, shown):
    staff = ManagerFactory()
    set_role(staff.user, role)
    client = Client()
    client.force_login(staff.user)
    page = client.get("/admin/")
    assert page.status_code == 200
    html = page.content.decode()
    assert ('id="bank-reports"' in html) is shown
    assert ("reports/vendor/chart.umd.min.js" in html) is shown
    assert 'data-summary-url="/api/reports/summary/"' in html or not shown


def test_the_vendored_chart_library_is_served_from_our_static_files(client):
    response = client.get("/static/reports/vendor/chart.umd.min.js")
    assert response.status_code == 200
    body = b"".join(response.streaming_content) if response.streaming else response.content
    assert body.startswith(b"/*!\n * Chart.js v4.6.1")
    assert b"sourceMappingURL" not in body  # collectstatic's manifest would look for the missing map
