from decimal import Decimal

import pytest
from django.test import Client
from rest_framework.test import APIClient

from accounts.models import User
from approvals.models import ApprovalRequest
from audit.models import Action, AuditEvent
from contact import services as inbox
from contact.models import ContactMessage
from tests.factories import PASSWORD, ManagerFactory
from transactions import services as ledger
from transactions.audit import find_ledger_problems
from transactions.models import Account, Entry, Transaction
from usersessions.models import Session


@pytest.fixture
def admin_client(manager):
    client = Client()
    client.force_login(manager.user)  # a manager, not Django staff
    return client


@pytest.fixture
def posted(funded_customer, other_customer):
    return ledger.transfer(
        source=funded_customer.account, recipient_account_no=other_customer.account.account_no,
        amount=Decimal("25.00"), performed_by=funded_customer.user,
    ).transaction


def test_manager_reaches_the_admin_and_customer_does_not(admin_client, customer):
    assert admin_client.get("/admin/").status_code == 200
    client = Client()
    client.force_login(customer.user)
    response = client.get("/admin/transactions/transaction/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_manager_cannot_manage_users(admin_client, customer):
    assert admin_client.get("/admin/accounts/user/").status_code == 403
    assert admin_client.get(f"/admin/accounts/user/{customer.user.pk}/change/").status_code == 403


@pytest.mark.parametrize("model", ["customer", "manager"])
def test_profiles_are_listed(admin_client, customer, model):
    response = admin_client.get(f"/admin/accounts/{model}/")
    assert response.status_code == 200


def test_transactions_searchable_by_reference_and_account(admin_client, posted, funded_customer):
    response = admin_client.get("/admin/transactions/transaction/", {"q": posted.reference})
    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == [posted]
    response = admin_client.get("/admin/transactions/transaction/", {"q": funded_customer.account.account_no})
    assert posted in response.context["cl"].result_list
    assert len(response.context["cl"].result_list) == 2  # the opening deposit and the transfer
    response = admin_client.get("/admin/transactions/entry/", {"q": posted.reference})
    assert response.status_code == 200
    assert len(response.context["cl"].result_list) == 2


def test_ledger_is_read_only_in_the_admin(admin_client, posted):
    tx_url = f"/admin/transactions/transaction/{posted.pk}/"
    response = admin_client.get(f"{tx_url}change/")
    assert response.status_code == 200
    assert b'name="_save"' not in response.content  # a view page, no save button
    entry = posted.entries.first()
    assert admin_client.post(f"{tx_url}change/", {"amount": "1.00"}).status_code == 403
    assert admin_client.post(f"{tx_url}delete/", {"post": "yes"}).status_code == 403
    assert admin_client.get("/admin/transactions/transaction/add/").status_code == 403
    assert admin_client.post(f"/admin/transactions/entry/{entry.pk}/change/", {"amount": "1"}).status_code == 403
    assert admin_client.post(f"/admin/transactions/entry/{entry.pk}/delete/", {"post": "yes"}).status_code == 403
    account = posted.source
    before = account.balance
    response = admin_client.post(f"/admin/transactions/account/{account.pk}/change/", {"balance": "999999.00"})
    assert response.status_code == 403
    account.refresh_from_db()
    assert account.balance == before
    posted.refresh_from_db()
    assert posted.amount == Decimal("25.00") and Entry.objects.filter(transaction=posted).count() == 2
    assert find_ledger_problems() == []


def test_no_bulk_delete_action_on_the_ledger(admin_client, posted):
    response = admin_client.post(
        "/admin/transactions/transaction/", {"action": "delete_selected", "_selected_action": [posted.pk]}
    )
    assert Transaction.objects.filter(pk=posted.pk).exists()
    assert response.status_code in (200, 302)


def test_freeze_and_unfreeze_actions_go_through_the_service(admin_client, funded_customer, other_customer):
    account = funded_customer.account
    url = "/admin/transactions/account/"
    response = admin_client.post(url, {"action": "freeze_accounts", "_selected_action": [account.pk]})
    assert response.status_code == 302
    account.refresh_from_db()
    assert account.status == Account.Status.FROZEN
    with pytest.raises(ledger.AccountFrozen):
        ledger.transfer(source=account, recipient_account_no=other_customer.account.account_no,
                        amount=Decimal("1.00"), performed_by=None)

    # Freezing again is refused by the service and reported, not a 500.
    response = admin_client.post(url, {"action": "freeze_accounts", "_selected_action": [account.pk]}, follow=True)
    assert response.status_code == 200
    notes = [(m.level_tag, str(m)) for m in response.context["messages"]]
    assert notes[-1][0] == "warning" and account.account_no in notes[-1][1]

    # Unfreezing is four-eyes: it waits for a second manager, who approves it in the admin.
    response = admin_client.post(url, {"action": "unfreeze_accounts", "_selected_action": [account.pk]}, follow=True)
    assert "waiting for a second staff member" in str(list(response.context["messages"])[-1])
    account.refresh_from_db()
    assert account.status == Account.Status.FROZEN
    checker = Client()
    checker.force_login(ManagerFactory().user)
    checker.post("/admin/approvals/approvalrequest/",
                 {"action": "approve_selected", "_selected_action": [ApprovalRequest.objects.get().pk]})
    account.refresh_from_db()
    assert account.status == Account.Status.ACTIVE


def test_internal_accounts_cannot_be_frozen(admin_client, funded_customer):
    cash = Account.objects.filter(code=Account.CASH).first()
    admin_client.post("/admin/transactions/account/", {"action": "freeze_accounts", "_selected_action": [cash.pk]})
    cash.refresh_from_db()
    assert cash.status == Account.Status.ACTIVE


def test_contact_messages_marked_handled_by_action(admin_client, manager):
    message = inbox.submit_message(name="Rahim", email="r@example.com", message="Call me")
    response = admin_client.post(
        "/admin/contact/contactmessage/", {"action": "mark_handled", "_selected_action": [message.pk]}
    )
    assert response.status_code == 302
    message.refresh_from_db()
    assert message.is_handled and message.handled_by == manager.user
    assert ContactMessage.objects.count() == 1


def test_manager_adds_a_service(admin_client):
    response = admin_client.post(
        "/admin/services/service/add/", {"name": "Lockers", "description": "", "image": "", "is_active": "on",
                                         "display_order": "3"}
    )
    assert response.status_code == 302
    from services.models import Service
    assert Service.objects.get().name == "Lockers"


def test_manager_admin_creates_manager_through_service(admin_client):
    from accounts.models import Manager
    from tests.factories import UserFactory

    user = UserFactory()
    response = admin_client.post(
        "/admin/accounts/manager/add/",
        {"user": user.pk, "mobile_no": "01711111111", "nid": "1234567890", "age": 40, "religion": "", "image": ""},
    )
    assert response.status_code == 302, response.content[:2000]
    assert Manager.objects.filter(user=user).exists()
    # A user who already has a profile is refused with a form error, not a 500.
    response = admin_client.post(
        "/admin/accounts/manager/add/",
        {"user": user.pk, "mobile_no": "01711111111", "nid": "1234567899", "age": 40},
    )
    assert response.status_code == 200
    assert Manager.objects.filter(user=user).count() == 1


def _api_login(user) -> dict:
    response = APIClient().post("/api/login/", {"username": user.username, "password": PASSWORD},
                                format="json")
    assert response.status_code == 200, response.content
    return response.json()


def _profile_status(token) -> int:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client.get("/api/auth/update-profile/").status_code


@pytest.fixture
def superuser_client():
    root = User.objects.create_superuser("root", "root@example.com", "Root-Secret-77")
    client = Client()
    client.force_login(root)
    return client, root


@pytest.mark.parametrize("form", [
    {"password1": "Fresh-Secret-88", "password2": "Fresh-Secret-88", "usable_password": "true"},
    {"usable_password": "false", "unset-password": "1"},  # password login switched off
])
def test_a_password_set_in_the_admin_ends_every_session_of_that_user(superuser_client, customer, other_customer,
                                                                    form):
    client, root = superuser_client
    first, second = _api_login(customer.user), _api_login(customer.user)
    theirs = _api_login(other_customer.user)
    response = client.post(f"/admin/accounts/user/{customer.user.pk}/password/", form)
    assert response.status_code == 302, response.content
    assert _profile_status(first["token"]) == 401 and _profile_status(second["token"]) == 401
    assert _profile_status(theirs["token"]) == 200
    ended = Session.objects.filter(pk__in=[first["session_id"], second["session_id"]])
    assert {(s.ended_reason, s.ended_by_id) for s in ended} == {(Session.EndReason.PASSWORD_CHANGED, root.pk)}
    changed = AuditEvent.objects.get(action=Action.PASSWORD_CHANGED)
    assert (changed.actor_id, changed.target_id) == (root.pk, str(customer.user.pk))
    audit = AuditEvent.objects.get(action=Action.SESSIONS_ENDED)
    assert (audit.actor_id, audit.after["reason"], sorted(audit.after["sessions"])) == (
        root.pk, "password_changed", sorted([first["session_id"], second["session_id"]]))


def test_an_admins_own_password_change_in_the_admin_ends_their_api_sessions(superuser_client, customer):
    client, root = superuser_client
    root_api = APIClient().post("/api/login/", {"username": "root", "password": "Root-Secret-77"}, format="json").json()
    theirs = _api_login(customer.user)
    refused = client.post("/admin/password_change/", {"old_password": "wrong", "new_password1": "Fresh-Secret-88",
                                                       "new_password2": "Fresh-Secret-88"})
    assert refused.status_code == 200 and _profile_status(root_api["token"]) == 200
    response = client.post("/admin/password_change/", {"old_password": "Root-Secret-77",
                                                        "new_password1": "Fresh-Secret-88",
                                                        "new_password2": "Fresh-Secret-88"})
    assert response.status_code == 302, response.content[:2000]
    assert _profile_status(root_api["token"]) == 401 and _profile_status(theirs["token"]) == 200
    assert client.get("/admin/").status_code == 200  # the admin's browser session goes on
    changed = AuditEvent.objects.get(action=Action.PASSWORD_CHANGED)
    assert (changed.actor_id, changed.target_id, changed.after["set_by_staff"]) == (root.pk, str(root.pk), False)
    assert Session.objects.get(pk=root_api["session_id"]).ended_reason == Session.EndReason.PASSWORD_CHANGED


def test_a_refused_admin_password_form_ends_nothing(superuser_client, customer, other_customer):
    client, _ = superuser_client
    mine, theirs = _api_login(customer.user), _api_login(other_customer.user)
    response = client.post(f"/admin/accounts/user/{customer.user.pk}/password/",
                           {"password1": "Fresh-Secret-88", "password2": "different-99", "usable_password": "true"})
    assert response.status_code == 200  # the form again, with its error
    assert _profile_status(mine["token"]) == 200 and _profile_status(theirs["token"]) == 200
    assert not AuditEvent.objects.filter(action__in=[Action.PASSWORD_CHANGED, Action.SESSIONS_ENDED]).exists()
    assert client.post("/admin/accounts/user/999999/password/", {}).status_code in (302, 404)
