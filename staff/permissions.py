"""Capability permission classes: `HasCapability("reverse_transaction")` lets in staff
(users with a Manager profile, and superusers) whose role grants `staff.reverse_transaction`."""

from rest_framework.permissions import SAFE_METHODS, BasePermission

from .capabilities import APP_LABEL, CAPABILITIES

_classes: dict[tuple[str, ...], type] = {}


def has_capability(user, *codenames: str) -> bool:
    if not (user and user.is_authenticated and user.is_active and getattr(user, "is_manager", False)):
        return False
    if user.is_superuser:
        return True
    from .cache import capabilities_of

    return set(codenames) <= capabilities_of(user)


class StaffNeeds(BasePermission):
    """For endpoints customers use too: staff need `read` to read and `write` to change;
    anyone else passes here (their querysets are scoped to themselves)."""

    message = "Your staff role does not allow this."
    read: str = ""
    write: str = ""

    def has_permission(self, request, view):
        user = request.user
        if not (user and user.is_authenticated and getattr(user, "is_manager", False)):
            return True
        return has_capability(user, self.read if request.method in SAFE_METHODS else self.write)

    @classmethod
    def to(cls, *, read: str, write: str) -> type:
        return type(f"StaffNeeds_{read}_{write}", (cls,), {"read": read, "write": write})


def HasCapability(*codenames: str) -> type:  # noqa: N802 (used like a class, as DRF's permissions are)
    """A permission class requiring every capability named (`"reverse_transaction"` or
    `"staff.reverse_transaction"`). One class per set, so views can compose them with | and &."""
    names = tuple(name.removeprefix(f"{APP_LABEL}.") for name in codenames)
    for name in names:
        if name not in CAPABILITIES:
            raise ValueError(f"Unknown capability {name!r}.")
    if names not in _classes:
        def has_permission(self, request, view):
            return has_capability(request.user, *names)

        _classes[names] = type(
            f"HasCapability_{'_'.join(names)}",
            (BasePermission,),
            {
                "message": "Your staff role does not allow this.",
                "capabilities": names,
                "has_permission": has_permission,
            },
        )
    return _classes[names]


def ReadOrCapability(codename: str) -> type:  # noqa: N802
    """Anyone may read; writing needs the capability (the service catalogue)."""
    capability = HasCapability(codename)

    class _ReadOrCapability(BasePermission):
        message = capability.message

        def has_permission(self, request, view):
            return request.method in SAFE_METHODS or capability().has_permission(request, view)

    _ReadOrCapability.__name__ = f"ReadOr{capability.__name__}"
    return _ReadOrCapability
