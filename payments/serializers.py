from rest_framework import serializers

from .models import Payment


class PaymentSerializer(serializers.ModelSerializer):
    account_no = serializers.CharField(source="account.account_no", read_only=True)
    customer_name = serializers.SerializerMethodField()
    transaction = serializers.SlugRelatedField(
        slug_field="reference", read_only=True, allow_null=True,
        help_text="The ledger deposit this payment became (once completed).",
    )

    class Meta:
        model = Payment
        fields = [
            "id", "reference", "status", "status_detail", "amount", "currency", "description", "account_no", "customer",
            "customer_name", "gateway", "gateway_session_id", "gateway_transaction_id", "payment_url",
            "transaction", "created_at", "updated_at", "expires_at", "completed_at",
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
