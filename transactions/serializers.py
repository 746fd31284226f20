
from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers

from bank_project.api.fields import ReportDateField
from bank_project.api.mixins import StrictSerializerMixin
from bank_project.api.parties import (
    PARTY_DETAILS,
    ManagerOnlyFieldsMixin,
    customer_caller,
    holder_name,
    party_details,
)
from bank_project.money import MoneyField, money_output

from .models import Account, Entry, Transaction, is_valid_account_no


class AccountNumberField(serializers.CharField):
    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 10)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if isinstance(data, int) and not isinstance(data, bool):
            data = str(data)
        value = super().to_internal_value(data)
        if not is_valid_account_no(value):
            raise serializers.ValidationError("This is not a valid account number (10 digits with a check digit).")
        return value


class DepositSerializer(StrictSerializerMixin, serializers.Serializer):
    amount = MoneyField()
    account_no = AccountNumberField(
        required=False, help_text="Managers only: the account to credit (a teller deposit). Customers omit it."
    )
    description = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")


class WithdrawalSerializer(StrictSerializerMixin, serializers.Serializer):
    amount = MoneyField()
    description = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")


class TransferSerializer(StrictSerializerMixin, serializers.Serializer):
    recipient_account_no = AccountNumberField()
    amount = MoneyField()
    description = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")


class ReverseSerializer(StrictSerializerMixin, serializers.Serializer):
    reason = serializers.CharField(max_length=200)


class _MovementRowSerializer(ManagerOnlyFieldsMixin, serializers.ModelSerializer):
    timestamp = serializers.DateTimeField(source="created_at", read_only=True)
    reversed = serializers.SerializerMethodField()

    def get_reversed(self, tx) -> bool:
        # `reversal` comes from select_related: no query per row.
        return getattr(tx, "reversal", None) is not None


_MOVEMENT_FIELDS = ["id", "reference", "amount", "currency", "account_no", "description", "timestamp", "reversed"]
CUSTOMER_DETAILS = tuple(f"customer_{name}" for name in PARTY_DETAILS)


class DepositRowSerializer(_MovementRowSerializer, party_details("customer", "destination")):
    """For a manager, also the six customer_* details of the credited customer."""

    account_no = serializers.CharField(source="destination.account_no", read_only=True)
    status = serializers.SerializerMethodField(
        help_text="Always completed: the ledger holds money that arrived. Gateway payments still under way "
        "(pending) or that ended without money (failed, cancelled, expired) are at /api/payments/."
    )
    payment = serializers.SerializerMethodField(help_text="The gateway payment it came from; null for a teller deposit.")

    manager_only_fields = CUSTOMER_DETAILS

    class Meta:
        model = Transaction
        fields = [*_MOVEMENT_FIELDS, "status", "payment", *CUSTOMER_DETAILS]

    def get_status(self, tx) -> str:
        return "completed"

    def get_payment(self, tx) -> int | None:
        # `payment` comes from select_related: no query per row.
        payment = getattr(tx, "payment", None)
        return payment.pk if payment is not None else None


class WithdrawalRowSerializer(_MovementRowSerializer, party_details("customer", "source")):
    """For a manager, also the six customer_* details of the debited customer."""

    account_no = serializers.CharField(source="source.account_no", read_only=True)
    manager_only_fields = CUSTOMER_DETAILS

    class Meta:
        model = Transaction
        fields = [*_MOVEMENT_FIELDS, *CUSTOMER_DETAILS]


class TransferRowSerializer(
    _MovementRowSerializer, party_details("sender", "source"), party_details("recipient", "destination")
):
    """Everyone sees both parties' names and account numbers; a manager also sees their
    image, account type, mobile number and email (sender_* and recipient_*)."""

    sender = serializers.CharField(source="source.account_no", read_only=True)
    sender_name = serializers.SerializerMethodField()
    recipient_account_no = serializers.CharField(source="destination.account_no", read_only=True)
    recipient_name = serializers.SerializerMethodField()
    manager_only_fields = tuple(
        f"{party}_{name}" for party in ("sender", "recipient") for name in ("image", "account_type", "mobile_no", "email")
    )

    class Meta:
        model = Transaction
        fields = [
            "id", "reference", "amount", "currency", "sender", "sender_name", "sender_account_no", "sender_image",
            "sender_account_type", "sender_mobile_no", "sender_email", "recipient_account_no", "recipient_name",
            "recipient_image", "recipient_account_type", "recipient_mobile_no", "recipient_email", "description",
            "timestamp", "reversed",
        ]

    def get_sender_name(self, tx) -> str:
        return holder_name(tx.source)

    def get_recipient_name(self, tx) -> str:
        return holder_name(tx.destination)


class MovementResultMixin(serializers.Serializer):
    """The answer to a POST that moved money: the row as the history lists it, plus the
    caller's new balance (set by the view).

    Its to_representation is written by hand: building a ModelSerializer's fields for one
    object cost a tenth of a transfer's Python CPU (docs/benchmarks.md). The declared
    fields still describe the shape in the schema, and a test checks that both give the
    same JSON. A POST's result has no request in its context, so the manager-only details
    are never in it (ManagerOnlyFieldsMixin), and the transaction was just posted, so it
    is not reversed.
    """

    balance = money_output(read_only=True, help_text="Your account's balance after this transaction.")

    def movement(self, tx, **fields) -> dict:
        return {
            "id": tx.pk,
            "reference": tx.reference,
            "amount": f"{tx.amount:.2f}",
            "currency": tx.currency,
            **fields,
            "description": tx.description,
            "timestamp": _TIMESTAMP.to_representation(tx.created_at),
            "reversed": getattr(tx, "reversal", None) is not None,
        }


_TIMESTAMP = serializers.DateTimeField()


class DepositResultSerializer(DepositRowSerializer, MovementResultMixin):
    class Meta(DepositRowSerializer.Meta):
        fields = [*DepositRowSerializer.Meta.fields, "balance"]

    def to_representation(self, tx):
        data = self.movement(tx, account_no=tx.destination.account_no)
        data.update(status=self.get_status(tx), payment=self.get_payment(tx))
        return data


class WithdrawalResultSerializer(WithdrawalRowSerializer, MovementResultMixin):
    class Meta(WithdrawalRowSerializer.Meta):
        fields = [*WithdrawalRowSerializer.Meta.fields, "balance"]

    def to_representation(self, tx):
        return self.movement(tx, account_no=tx.source.account_no)


class TransferResultSerializer(TransferRowSerializer, MovementResultMixin):
    class Meta(TransferRowSerializer.Meta):
        fields = [*TransferRowSerializer.Meta.fields, "balance"]

    def to_representation(self, tx):
        return self.movement(
            tx,
            sender=tx.source.account_no,
            sender_name=self.get_sender_name(tx),
            sender_account_no=tx.source.account_no,
            recipient_account_no=tx.destination.account_no,
            recipient_name=self.get_recipient_name(tx),
        )


class TransactionSerializer(serializers.ModelSerializer):
    """A manager's view of one ledger transaction."""

    source_account_no = serializers.CharField(source="source.account_no", read_only=True)
    destination_account_no = serializers.CharField(source="destination.account_no", read_only=True)
    performed_by = serializers.CharField(source="performed_by.username", read_only=True, allow_null=True, default=None)
    timestamp = serializers.DateTimeField(source="created_at", read_only=True)
    reverses = serializers.CharField(source="reverses.reference", read_only=True, allow_null=True, default=None)
    reversed_by = serializers.SerializerMethodField()

    class Meta:
        model = Transaction
        fields = [
            "id", "reference", "kind", "amount", "currency", "source_account_no", "destination_account_no",
            "description", "performed_by", "timestamp", "reverses", "reversed_by",
        ]

    def get_reversed_by(self, tx) -> str | None:
        reversal = getattr(tx, "reversal", None)
        return reversal.reference if reversal is not None else None

    def to_representation(self, tx):
        data = super().to_representation(tx)
        user = customer_caller(self.context)
        if user is not None and tx.performed_by_id != user.pk:
            # Who else moved the money (a teller, the other customer) is a login name: bank-internal.
            data["performed_by"] = None
        return data


@extend_schema_serializer(component_name="Transaction")  # the list's rows are Transactions
class TransactionRowSerializer(TransactionSerializer):
    """TransactionSerializer's output for a row of selectors.transaction_rows_for (a dict).

    Written by hand for the list's 100-row pages, where DRF's per-field machinery and
    model instances cost most of the CPU (docs/benchmarks.md). The fields declared above
    still describe the shape in the schema, and a test checks that both serializers give
    the same JSON for every kind of row and caller.
    """

    def to_representation(self, row):
        user = customer_caller(self.context)
        performed_by = row["performed_by__username"]
        if user is not None and row["performed_by_id"] != user.pk:
            performed_by = None
        return {
            "id": row["id"],
            "reference": row["reference"],
            "kind": row["kind"],
            "amount": f"{row['amount']:.2f}",
            "currency": row["currency"],
            "source_account_no": row["source__account_no"],
            "destination_account_no": row["destination__account_no"],
            "description": row["description"],
            "performed_by": performed_by,
            "timestamp": self.fields["timestamp"].to_representation(row["created_at"]),
            "reverses": row["reverses__reference"],
            "reversed_by": row["reversal__reference"],
        }


class EntrySerializer(serializers.ModelSerializer):
    account_no = serializers.CharField(source="account.account_no", read_only=True)
    balance_after = money_output(read_only=True, allow_null=True,
        help_text="The account's balance after this entry; null on another customer's account.",
    )

    class Meta:
        model = Entry
        fields = ["account_no", "amount", "balance_after"]

    def to_representation(self, entry):
        data = super().to_representation(entry)
        user = customer_caller(self.context)
        if user is not None and entry.account.customer_id != getattr(getattr(user, "customer", None), "pk", None):
            # The recipient of a transfer sees that it happened, never the sender's balance.
            data["balance_after"] = None
        return data


class TransactionDetailSerializer(TransactionSerializer):
    entries = EntrySerializer(many=True, read_only=True)

    class Meta(TransactionSerializer.Meta):
        fields = [*TransactionSerializer.Meta.fields, "entries"]


class AccountSerializer(serializers.ModelSerializer):
    holder_name = serializers.SerializerMethodField()
    customer = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)  # null: bank-internal

    class Meta:
        model = Account
        fields = ["id", "account_no", "kind", "code", "shard", "name", "holder_name", "customer", "currency", "balance",
                  "status", "opened_at"]
        read_only_fields = fields

    def get_holder_name(self, account) -> str:
        return holder_name(account)


class StatementQuerySerializer(serializers.Serializer):
    date_from = ReportDateField(required=False, help_text="First day (inclusive); default: 30 days ago.")
    date_to = ReportDateField(required=False, help_text="Last day (inclusive); default: today.")
    account_no = AccountNumberField(required=False, help_text="Managers: the account; customers: omit.")


class StatementLineSerializer(serializers.Serializer):
    date = serializers.DateTimeField()
    reference = serializers.CharField()
    kind = serializers.CharField()
    description = serializers.CharField()
    amount = money_output()
    balance_after = money_output()


class StatementSerializer(serializers.Serializer):
    account_no = serializers.CharField()
    currency = serializers.CharField()
    date_from = serializers.DateField()
    date_to = serializers.DateField()
    opening_balance = money_output()
    closing_balance = money_output()
    total_credits = money_output()
    total_debits = money_output()
    truncated = serializers.BooleanField(help_text="More entries exist than this statement shows; narrow the dates.")
    entries = StatementLineSerializer(many=True)
