"""Injection (OWASP Top 10 A03; in the API Top 10 it sits under API8/API10): SQL
metacharacters in search, filters and paths are data, never SQL; script in stored text
comes back as JSON text and is escaped in the admin; CSV exports neutralise formulas."""

import csv
import io

import pytest
from django.test import Client

from transactions.models import Transaction

pytestmark = pytest.mark.django_db

SQL = ["' OR '1'='1", "1; DROP TABLE transactions_entry; --", "\" OR 1=1 --", "%' UNION SELECT password FROM "
       "accounts_user --", "\\x00", "1' AND sleep(5) --", "𝕏' OR 1=1"]


@pytest.mark.parametrize("payload", SQL)
def test_sql_in_search_and_filters_is_data(bank, payload):
    for path in ("/api/customer/", "/api/transactions/", "/api/accounts/", "/api/loans/", "/api/deposit/",
                 "/api/services/"):
        for param in ("search", "account", "kind", "status"):
            response = bank.alice_client.get(path, {param: payload})
            assert response.status_code in (200, 400), (path, param, response.status_code)
            if response.status_code == 200:
                body = response.json()
                results = body if isinstance(body, list) else body["results"]  # services: a bare array
                assert all(row.get("id") != bank.bob.pk or path != "/api/customer/" for row in results)
    assert Transaction.objects.exists()  # nothing was dropped


@pytest.mark.parametrize("payload", ["1' OR '1'='1", "1%20OR%201=1", "..%2F..%2Fetc%2Fpasswd", "0x10"])
def test_sql_in_path_parameters_is_a_404(bank, payload):
    for path in (f"/api/accounts/{payload}/", f"/api/transactions/{payload}/", f"/api/loans/{payload}/"):
        assert bank.alice_client.get(path).status_code == 404


def test_script_in_stored_text_is_returned_as_text_and_escaped_in_the_admin(bank):
    script = "<script>alert('x')</script>"
    response = bank.alice_client.post("/api/withdrawal/", {"amount": "1.00", "description": script}, format="json")
    assert response.status_code == 201
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["description"] == script
    admin = Client()
    admin.force_login(bank.manager.user)
    page = admin.get(f"/admin/transactions/transaction/{response.json()['id']}/change/").content.decode()
    assert script not in page
    assert "&lt;script&gt;" in page


@pytest.mark.parametrize("formula", ["=HYPERLINK(\"http://evil.example\",\"x\")", "+1+1", "-2+3", "@SUM(A1)",
                                     "\t=1"])
def test_csv_exports_neutralise_spreadsheet_formulas(bank, formula):
    response = bank.alice_client.post("/api/withdrawal/", {"amount": "1.00", "description": formula}, format="json")
    assert response.status_code == 201
    export = bank.alice_client.get("/api/transactions/", {"format": "csv"})
    rows = list(csv.DictReader(io.StringIO(export.content.decode())))
    described = [row["description"] for row in rows if row["reference"] == response.json()["reference"]]
    assert described == ["'" + formula.strip()]  # (surrounding whitespace is trimmed on input)
    # Plain negative numbers stay numbers.
    statement = bank.alice_client.get("/api/statement/", {"format": "csv"}).content.decode()
    assert "'-" not in statement.replace("'-2+3", "")
