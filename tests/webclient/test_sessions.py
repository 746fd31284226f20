"""Issue 11: server-side login sessions. Every token names its session; the database decides."""

import io
from datetime import timedelta

import jwt
import pytest
from django.core.cache import cache, caches
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

from tests.factories import PASSWORD, CustomerFactory
from usersessions.models import Session

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Brand-New-Secret-77"


def login(user, path="/api/auth/login/", **extra) -> dict:
    response = APIClient().post(path, {"username": user.username, "password": PASSWORD}, format="json", **extra)
    assert response.status_code == 200, response.content
    return response.json()


def as_client(token: str, kind: str = "Token") -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"{kind} {token}")
    return client


def profile_status(token: str, kind: str = "Token") -> int:
    return as_client(token, kind).get("/api/auth/update-profile/").status_code


def test_login_opens_a_session_with_ip_and_user_agent(customer):
    tokens = login(customer.user, HTTP_USER_AGENT="Mozilla/5.0 test")
    session = Session.objects.get(pk=tokens["session_id"])
    assert (session.user, session.ip, session.user_agent, session.ended_at) == (
        customer.user, "127.0.0.1", "Mozilla/5.0 test", None)
    assert profile_status(tokens["token"]) == 200
    assert profile_status(tokens["access"], "Bearer") == 200


def test_client_token_lives_while_used_and_dies_when_idle(customer, settings):
    tokens = login(customer.user)
    session = Session.objects.get(pk=tokens["session_id"])
    # 29 minutes idle: still alive, and using it moves "last used" forward.
    Session.objects.filter(pk=session.pk).update(last_used_at=timezone.now() - timedelta(minutes=29))
    assert profile_status(tokens["token"]) == 200
    session.refresh_from_db()
    assert timezone.now() - session.last_used_at < timedelta(seconds=5)
    # Past the access token's own 30-minute lifetime the client token still works while used.
    Session.objects.filter(pk=session.pk).update(created_at=timezone.now() - timedelta(hours=3))
    assert profile_status(tokens["token"]) == 200
    # 31 minutes idle: ended, for good.
    Session.objects.filter(pk=session.pk).update(last_used_at=timezone.now() - timedelta(minutes=31))
    assert profile_status(tokens["token"]) == 401
    session.refresh_from_db()
    assert session.ended_reason == Session.EndReason.IDLE
    Session.objects.filter(pk=session.pk).update(last_used_at=timezone.now())
    assert profile_status(tokens["token"]) == 401  # ended stays ended


def test_idle_limit_is_a_setting(customer, settings):
    settings.SESSION_IDLE_MINUTES = 5
    tokens = login(customer.user)
    Session.objects.filter(pk=tokens["session_id"]).update(last_used_at=timezone.now() - timedelta(minutes=6))
    assert profile_status(tokens["token"]) == 401


def test_absolute_expiry_even_while_used(customer, settings):
    tokens = login(customer.user)
    Session.objects.filter(pk=tokens["session_id"]).update(created_at=timezone.now() - timedelta(hours=12, seconds=1))
    assert profile_status(tokens["token"]) == 401
    assert Session.objects.get(pk=tokens["session_id"]).ended_reason == Session.EndReason.EXPIRED
    assert APIClient().post("/api/token/refresh/", {"refresh": tokens["refresh"]}, format="json").status_code == 401


def test_last_used_is_written_at_most_once_a_minute(customer):
    tokens = login(customer.user)
    client = as_client(tokens["token"])
    client.get("/api/auth/update-profile/")
    with CaptureQueriesContext(connection) as queries:
        for _ in range(5):
            assert client.get("/api/auth/update-profile/").status_code == 200
    assert not [q for q in queries if q["sql"].startswith("UPDATE") and "usersessions_session" in q["sql"]]
    Session.objects.filter(pk=tokens["session_id"]).update(last_used_at=timezone.now() - timedelta(seconds=61))
    with CaptureQueriesContext(connection) as queries:
        client.get("/api/auth/update-profile/")
        client.get("/api/auth/update-profile/")
    assert len([q for q in queries if q["sql"].startswith("UPDATE") and "usersessions_session" in q["sql"]]) == 1


def test_refresh_counts_as_use_and_keeps_the_session(customer):
    tokens = login(customer.user, path="/api/login/")
    response = APIClient().post("/api/token/refresh/", {"refresh": tokens["refresh"]}, format="json")
    assert response.status_code == 200
    assert profile_status(response.json()["access"], "Bearer") == 200


def test_logout_ends_the_session_and_every_token_of_it(customer):
    tokens = login(customer.user)
    assert as_client(tokens["token"]).post("/api/auth/logout/").status_code == 200
    assert profile_status(tokens["token"]) == 401
    assert profile_status(tokens["access"], "Bearer") == 401
    assert APIClient().post("/api/token/refresh/", {"refresh": tokens["refresh"]}, format="json").status_code == 401
    assert Session.objects.get(pk=tokens["session_id"]).ended_reason == Session.EndReason.LOGOUT


@pytest.mark.parametrize("header", ["Token not-a-jwt", "Bearer ", "Token a.b.c", "", "Basic dXNlcjpwYXNz"])
def test_logout_with_a_malformed_token_is_200(header):
    client = APIClient()
    if header:
        client.credentials(HTTP_AUTHORIZATION=header)
    response = client.post("/api/auth/logout/")
    assert response.status_code == 200 and "detail" in response.json()


def test_logout_with_an_ended_or_idle_token_is_200(customer):
    ended = login(customer.user)
    as_client(ended["token"]).post("/api/auth/logout/")
    assert as_client(ended["token"]).post("/api/auth/logout/").status_code == 200
    assert as_client(ended["token"]).post("/api/logout/").status_code == 200
    idle = login(customer.user)
    Session.objects.filter(pk=idle["session_id"]).update(last_used_at=timezone.now() - timedelta(hours=1))
    assert as_client(idle["token"]).post("/api/auth/logout/").status_code == 200


def expired_token(token_class, user, session_id, signing_key=None) -> str:
    """A token of the session that expired a minute ago (signed with our key unless told)."""
    token = token_class.for_user(user)
    token["sid"] = session_id
    token.set_exp(from_time=timezone.now() - timedelta(hours=1), lifetime=timedelta(minutes=59))
    if signing_key is None:
        return str(token)
    return jwt.encode(token.payload, signing_key, algorithm="HS256")


def test_logout_with_an_expired_access_token_ends_its_session(customer):
    tokens = login(customer.user)
    expired = expired_token(AccessToken, customer.user, tokens["session_id"])
    assert profile_status(expired, "Bearer") == 401  # it can no longer act...
    response = as_client(expired, "Bearer").post("/api/logout/")
    assert (response.status_code, response.json()) == (200, {"detail": "Logged out."})  # ...but it can sign out
    assert Session.objects.get(pk=tokens["session_id"]).ended_reason == Session.EndReason.LOGOUT
    assert APIClient().post("/api/token/refresh/", {"refresh": tokens["refresh"]}, format="json").status_code == 401
    assert profile_status(tokens["token"]) == 401


def test_logout_with_an_expired_refresh_token_in_the_body_ends_its_session(customer):
    tokens = login(customer.user)
    expired = expired_token(RefreshToken, customer.user, tokens["session_id"])
    assert APIClient().post("/api/logout/", {"refresh": expired}, format="json").status_code == 200
    assert Session.objects.get(pk=tokens["session_id"]).ended_reason == Session.EndReason.LOGOUT


def test_an_expired_token_ends_only_its_own_session(customer):
    mine, other = login(customer.user), login(customer.user)
    as_client(expired_token(AccessToken, customer.user, mine["session_id"]), "Bearer").post("/api/auth/logout/")
    assert profile_status(mine["token"]) == 401 and profile_status(other["token"]) == 200


@pytest.mark.parametrize("kind", ["forged", "refresh_in_header"])
def test_logout_with_a_forged_or_wrong_type_expired_token_ends_nothing(customer, kind):
    tokens = login(customer.user)
    if kind == "forged":
        header = expired_token(AccessToken, customer.user, tokens["session_id"], signing_key="not-our-key-" * 4)
    else:
        header = expired_token(RefreshToken, customer.user, tokens["session_id"])
    response = as_client(header, "Bearer").post("/api/logout/")
    assert response.status_code == 200
    assert response.json() == {"detail": "Logged out (the session had already ended)."}
    assert profile_status(tokens["token"]) == 200


def test_password_change_on_the_old_path_keeps_the_callers_token(customer):
    mine = login(customer.user)
    client = as_client(mine["token"])
    response = client.put("/api/auth/update-password/", {
        "old_password": PASSWORD, "new_password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD}, format="json")
    assert response.status_code == 200 and {"token", "access", "refresh"} <= set(response.json())
    assert client.get("/api/auth/update-profile/").status_code == 200  # the same token
    assert client.post("/api/auth/login/", {"username": customer.user.username, "password": NEW_PASSWORD},
                       format="json").status_code == 200


def test_password_change_ends_a_second_sessions_token(customer):
    mine, second = login(customer.user), login(customer.user)
    as_client(mine["token"]).put("/api/auth/update-password/", {
        "old_password": PASSWORD, "new_password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD}, format="json")
    assert profile_status(mine["token"]) == 200
    assert profile_status(second["token"]) == 401
    assert Session.objects.get(pk=second["session_id"]).ended_reason == Session.EndReason.PASSWORD_CHANGED


def test_sessions_list_end_and_logout_all(customer, other_customer):
    first, second = login(customer.user), login(customer.user)
    theirs = login(other_customer.user)
    client = as_client(first["token"])
    rows = client.get("/api/sessions/").json()["results"]
    assert [row["id"] for row in rows] == [second["session_id"], first["session_id"]]
    assert [row["current"] for row in rows] == [False, True]
    assert client.post(f"/api/sessions/{theirs['session_id']}/end/").status_code == 404
    assert client.get(f"/api/sessions/?user={other_customer.user.pk}").json()["results"] == []
    assert client.post(f"/api/sessions/{second['session_id']}/end/").status_code == 200
    assert profile_status(second["token"]) == 401 and profile_status(first["token"]) == 200
    assert client.post("/api/logout-all/").json()["ended"] == 1
    assert profile_status(first["token"]) == 401
    assert profile_status(theirs["token"]) == 200


def test_a_manager_ends_a_customers_sessions(manager, customer):
    stolen = login(customer.user)
    boss = login(manager.user)
    client = as_client(boss["token"])
    rows = client.get(f"/api/sessions/?user={customer.user.pk}").json()["results"]
    assert [row["id"] for row in rows] == [stolen["session_id"]]
    assert client.post(f"/api/sessions/{stolen['session_id']}/end/").status_code == 200
    assert profile_status(stolen["token"]) == 401
    again = login(customer.user)
    assert client.post("/api/logout-all/", {"user": customer.user.pk}, format="json").json()["ended"] == 1
    assert profile_status(again["token"]) == 401
    assert profile_status(boss["token"]) == 200
    session = Session.objects.get(pk=again["session_id"])
    assert (session.ended_reason, session.ended_by) == (Session.EndReason.ENDED_BY_MANAGER, manager.user)


def test_a_customer_cannot_end_a_managers_or_another_customers_sessions(manager, customer, other_customer):
    client = as_client(login(customer.user)["token"])
    boss = login(manager.user)
    assert client.post(f"/api/sessions/{boss['session_id']}/end/").status_code == 404
    assert client.post("/api/logout-all/", {"user": other_customer.user.pk}, format="json").status_code == 400
    assert profile_status(boss["token"]) == 200


def test_purge_sessions_ends_expired_and_deletes_old_ones(customer):
    alive, idle, old = login(customer.user), login(customer.user), login(customer.user)
    Session.objects.filter(pk=idle["session_id"]).update(last_used_at=timezone.now() - timedelta(hours=1))
    Session.objects.filter(pk=old["session_id"]).update(ended_at=timezone.now() - timedelta(days=31),
                                                         ended_reason="logout")
    out = io.StringIO()
    call_command("purge_sessions", stdout=out)
    assert "Ended 1" in out.getvalue() and "deleted 1" in out.getvalue()
    assert set(Session.objects.values_list("pk", "ended_reason")) == {
        (alive["session_id"], ""), (idle["session_id"], "idle")}


def _cycles(users, n) -> list[str]:
    """n login/logout cycles on the web client's paths; the revoked client tokens."""
    revoked = []
    for i in range(n):
        user = users[i % len(users)]
        tokens = login(user)
        assert as_client(tokens["token"]).post("/api/auth/logout/").status_code == 200
        revoked.append(tokens["token"])
    return revoked


def test_400_revoked_tokens_stay_refused_with_the_database_cache(settings):
    settings.API_THROTTLE = False
    users = [CustomerFactory().user for _ in range(4)]
    revoked = _cycles(users, 400)
    cache.clear()
    refused = sum(profile_status(token) == 401 for token in revoked)
    assert refused == 400


REDIS_DB = "redis://127.0.0.1:6379/11"  # this suite's own database number: FLUSHDB touches only it


def redis_reachable() -> bool:
    import redis

    try:
        return redis.Redis.from_url(REDIS_DB, socket_connect_timeout=1).ping()
    except redis.RedisError:
        return False


@pytest.mark.skipif(not redis_reachable(), reason=f"needs a Redis server at {REDIS_DB}")
def test_400_revoked_tokens_stay_refused_with_redis_after_flushdb(settings):
    settings.API_THROTTLE = False
    settings.CACHES = {"default": {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": REDIS_DB}}
    redis_cache = caches["default"]
    redis_cache.set("probe", 1)
    assert redis_cache.get("probe") == 1  # really Redis, really reachable
    users = [CustomerFactory().user for _ in range(4)]
    revoked = _cycles(users, 400)
    redis_cache.client.get_client().flushdb()  # our own db only (11), never FLUSHALL
    assert redis_cache.get("probe") is None
    refused = sum(profile_status(token) == 401 for token in revoked)
    assert refused == 400


def test_a_signed_token_naming_another_users_session_is_refused(customer, other_customer):
    """The session is looked up by its id alone; its user must be the token's."""
    from accounts.tokens import SESSION_CLAIM
    from usersessions.services import open_session

    theirs = open_session(user=other_customer.user)
    token = AccessToken.for_user(customer.user)
    token[SESSION_CLAIM] = theirs.pk
    response = as_client(str(token), "Bearer").get("/api/auth/update-profile/")
    assert response.status_code == 401
    mine = open_session(user=customer.user)
    token[SESSION_CLAIM] = mine.pk
    assert as_client(str(token), "Bearer").get("/api/auth/update-profile/").status_code == 200
