import functools

from django.db import connections, router
from django.utils.translation import gettext_lazy as _
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import AuthenticationFailed, InvalidToken
from rest_framework_simplejwt.settings import api_settings

from bank_project.rows import Columns, cache_relation, load_row
from transactions.models import Account
from usersessions.models import Session
from usersessions.services import SessionEnded, check_and_touch

from .models import Customer, Manager, User
from .tokens import SESSION_CLAIM

# The session with its user, both profiles and the customer's account: what
# select_related("user__customer__account", "user__manager") reads, written by hand because
# compiling it through the ORM cost a third of a transfer's Python CPU (docs/benchmarks.md).
_SESSION_COLUMNS = [Columns(Session, "s"), Columns(User, "u"), Columns(Customer, "c"), Columns(Account, "a"),
                    Columns(Manager, "m")]


@functools.cache  # per database alias: built once per process
def _session_sql(using: str) -> str:
    s, u, c, a, m = _SESSION_COLUMNS
    columns = ", ".join(each.sql(using) for each in _SESSION_COLUMNS)
    return (
        f"SELECT {columns} FROM {s.table(using)}"
        f" INNER JOIN {u.table(using)} ON u.id = s.user_id"
        f" LEFT OUTER JOIN {c.table(using)} ON c.user_id = u.id"
        f" LEFT OUTER JOIN {a.table(using)} ON a.customer_id = c.id"
        f" LEFT OUTER JOIN {m.table(using)} ON m.user_id = u.id"
        " WHERE s.id = %s"  # by primary key alone: the user is checked below, so no plan can pick another index
    )


def session_with_user(session_id, user_id) -> Session | None:
    """The session `session_id` of user `user_id`, its user and their profiles loaded with it."""
    using = router.db_for_read(Session)
    with connections[using].cursor() as cursor:
        cursor.execute(_session_sql(using), [session_id])
        row = cursor.fetchone()
    if row is None:
        return None
    session, user, customer, account, manager = load_row(row, _SESSION_COLUMNS, using)
    if session.user_id != user_id:  # a token naming someone else's session
        return None
    cache_relation(session, Session.user, user)
    cache_relation(user, User.customer, customer)
    cache_relation(user, User.manager, manager)
    if customer is not None:
        cache_relation(customer, Customer.account, account)
    return session


def live_session(token) -> Session:
    """The token's login session with its user (both profiles, the customer's account) in one
    query, checked alive and touched; InvalidToken when it has ended, idled out or aged out."""
    session_id = token.get(SESSION_CLAIM)
    user_id = token.get(api_settings.USER_ID_CLAIM)
    try:
        session_id, user_id = int(session_id), int(user_id)
    except (TypeError, ValueError):  # None: a token from before sessions; else not ours
        raise InvalidToken({"detail": _("This token belongs to no session; log in again."),
                            "code": "token_not_valid"}) from None
    session = session_with_user(session_id, user_id)
    if session is None:
        raise InvalidToken({"detail": SessionEnded.default_message, "code": SessionEnded.code})
    try:
        check_and_touch(session)
    except SessionEnded as exc:
        raise InvalidToken({"detail": exc.message, "code": exc.code}) from exc
    return session


class BankJWTAuthentication(JWTAuthentication):
    """simplejwt, plus: the token's login session must be alive (usersessions), and the user
    comes with it, with both profiles and the customer's account, in the same one query."""

    def get_user(self, validated_token):
        session = live_session(validated_token)
        user = session.user
        if not user.is_active:
            raise AuthenticationFailed(_("User is inactive"), code="user_inactive")
        user.login_session = session
        return user
