"""Role permission classes, used by every app. Ownership is enforced by scoping querysets
to the caller (another customer's object is a 404); these classes gate roles."""

from rest_framework.permissions import SAFE_METHODS, BasePermission


class IsManager(BasePermission):
    message = "Only bank managers may do this."

    def has_permission(self, request, view):
        return bool(request.user and request.user.is_authenticated and request.user.is_manager)


class IsCustomer(BasePermission):
    message = "Only customers with a bank account may do this; create your customer profile first."

    def has_permission(self, request, view):
        return bool(request.user and request.user.is_authenticated and request.user.is_customer)


class IsManagerOrReadOnly(BasePermission):
    """Anyone may read; only managers may write (the service catalogue)."""

    message = "Only bank managers may change this."

    def has_permission(self, request, view):
        if request.method in SAFE_METHODS:
            return True
        return bool(request.user and request.user.is_authenticated and request.user.is_manager)


class IsOwnerOrManager(BasePermission):
    """Object level: managers pass; others only for objects whose `owner_user_id` is theirs.

    Views should also scope their querysets, so that a foreign object is a 404 first.
    """

    def has_object_permission(self, request, view, obj):
        if request.user.is_manager:
            return True
        owner_id = getattr(obj, "owner_user_id", None)
        if owner_id is None and hasattr(obj, "user_id"):
            owner_id = obj.user_id
        return owner_id == request.user.pk
