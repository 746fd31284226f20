"""Role changes. Four eyes guards them (approvals.actions), so change_role is what runs once
a second staff member approved; it writes the audit row in the same transaction."""

from django.db import transaction

from audit.models import Action
from audit.services import record
from bank_project.errors import DomainError

from .capabilities import ROLES
from .roles import roles_of, set_role


class UnknownRole(DomainError):
    code = "unknown_role"
    default_message = "Unknown role."


class NotStaff(DomainError):
    code = "not_staff"
    default_message = "Only staff members (users with a manager profile) have roles."


class SameRole(DomainError):
    code = "same_role"
    default_message = "This staff member already has exactly this role."


@transaction.atomic
def change_role(*, user, role: str, changed_by, approved_by=None) -> list[str]:
    if role not in ROLES:
        raise UnknownRole(f"Unknown role {role!r}; the roles are {', '.join(ROLES)}.")
    if not hasattr(user, "manager"):
        raise NotStaff()
    before = roles_of(user)
    if before == [role]:
        raise SameRole()
    set_role(user, role)
    after = {"roles": [role]}
    if approved_by is not None:
        after["approved_by"] = approved_by.get_username()
    record(Action.ROLE_CHANGED, actor=changed_by, target=user, before={"roles": before}, after=after)
    return [role]
