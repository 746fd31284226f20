"""The details of a party to a movement (the customer holding an account) that the web
client's manager pages show, shared by the ledger's and the loans' row serializers. A
customer never sees another customer's contact details: ManagerOnlyFieldsMixin leaves them out."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

PARTY_DETAILS = ("name", "image", "account_type", "account_no", "mobile_no", "email")


@extend_schema_field({"type": "string", "nullable": True})
class _HolderNameField(serializers.Field):
    """The name of the customer holding the account (the field's source); null on a
    bank-internal account."""

    def to_representation(self, account):
        return holder_name(account) if account.customer_id else None


def party_details(prefix: str, account_path: str, holder_path: str | None = None) -> type:
    """A serializer base declaring the six `<prefix>_*` fields the web client's manager pages
    show for the customer holding the account at `account_path` ("destination", "source",
    "account"); null on a bank-internal account. Read from select_related rows: no query per row.

    Output only. They are declared optional rather than read-only so that the schema does not
    list them as required: a customer's rows leave them out (ManagerOnlyFieldsMixin)."""
    holder = holder_path or f"{account_path}.customer"
    optional = {"required": False, "default": None, "allow_null": True}
    attrs = {
        f"{prefix}_name": _HolderNameField(source=account_path, **optional),
        f"{prefix}_image": serializers.CharField(source=f"{holder}.image", **optional),
        f"{prefix}_account_type": serializers.CharField(source=f"{holder}.account_type", **optional),
        f"{prefix}_account_no": serializers.CharField(source=f"{account_path}.account_no", **optional),
        f"{prefix}_mobile_no": serializers.CharField(source=f"{holder}.mobile_no", **optional),
        f"{prefix}_email": serializers.CharField(source=f"{holder}.user.email", **optional),
    }
    return type(f"{prefix.title()}Details", (serializers.Serializer,), attrs)


class ManagerOnlyFieldsMixin:
    """Fields listed in `manager_only_fields` are left out for anyone but a manager: a
    customer never sees another customer's mobile number, email or image."""

    manager_only_fields: tuple = ()

    @property
    def _readable_fields(self):
        # Left out before they are read, not after: a customer's row (or a POST's result,
        # whose accounts are locked bare) costs no query for the holder's profile and user.
        hidden = ()
        if self.manager_only_fields and customer_caller(self.context, managers_only=True) is not None:
            hidden = self.manager_only_fields
        return [field for field in super()._readable_fields if field.field_name not in hidden]


def holder_name(account) -> str:
    """The name of the customer holding `account`, or the internal account's name."""
    if account.customer_id is None:
        return account.name
    user = account.customer.user
    return user.get_full_name() or user.username


def customer_caller(context, managers_only=False):
    """The calling user when it is a customer (not a manager); None for managers and internal use.

    With `managers_only`, a call without a request (a POST's result) counts as not a
    manager's: manager-only details are shown only where a manager is known to ask."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return object() if managers_only else None
    if user.is_manager:
        return None
    return user
