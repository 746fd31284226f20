from rest_framework import serializers

from bank_project.api.mixins import StrictSerializerMixin
from bank_project.api.parties import ManagerOnlyFieldsMixin

from .models import Payment

# The gateway's fraud screening and its review are staff matters: a customer sees the status
# (`held`, `refused`) and its plain explanation, not how the screening rated them.
REVIEW_FIELDS = ("risk_level", "risk_title", "reviewed_by", "reviewed_at")


class PaymentSerializer(ManagerOnlyFieldsMixin, serializers.ModelSerializer):
    account_no = serializers.CharField(source="account.account_no", read_only=True)
    customer_name = serializers.SerializerMethodField()
    transaction = serializers.SlugRelatedField(
        slug_field="reference", read_only=True, allow_null=True,
        help_text="The ledger deposit this payment became (once completed).",
    )
    risk_level = serializers.CharField(read_only=True, help_text="The gateway's risk rating (SSLCommerz: 0 safe, "
                                       "1 high risk, held for review). Staff only.")
    risk_title = serializers.CharField(read_only=True, help_text="Staff only.")
    reviewed_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True,
                                               help_text="Who released or refused a held payment. Staff only.")
    manager_only_fields = REVIEW_FIELDS

    class Meta:
        model = Payment
        fields = [
            "id", "reference", "status", "status_detail", "amount", "currency", "description", "account_no", "customer",
            "customer_name", "gateway", "gateway_session_id", "gateway_transaction_id", "payment_url",
            "transaction", "created_at", "updated_at", "expires_at", "completed_at", *REVIEW_FIELDS,
        ]
        read_only_fields = fields

    def get_customer_name(self, payment) -> str:
        user = payment.customer.user
        return user.get_full_name() or user.username


class SandboxNotificationSerializer(serializers.Serializer):
    """What the sandbox gateway signs and sends (documentation; verification is the gateway's)."""

    reference = serializers.CharField()
    status = serializers.ChoiceField(choices=["success", "failed", "cancelled"])
    amount = serializers.CharField()
    currency = serializers.CharField()
    transaction_id = serializers.CharField(allow_blank=True)
    signature = serializers.CharField(help_text="HMAC-SHA256 of the other fields under the server's key.")


class NotificationResultSerializer(serializers.Serializer):
    reference = serializers.CharField()
    status = serializers.CharField()


class ReleasePaymentSerializer(StrictSerializerMixin, serializers.Serializer):
    note = serializers.CharField(required=False, default="", allow_blank=True, max_length=255,
                                 help_text="Why it is safe to credit (kept in the audit trail).")


class RefusePaymentSerializer(StrictSerializerMixin, serializers.Serializer):
    reason = serializers.CharField(max_length=255, help_text="Why it is refused (kept in the audit trail).")
