"""What the deposit endpoint (in the ledger app) answers when a customer's deposit starts
a payment: the payments app's one public piece of HTTP, so no app imports its views or
serializers."""

from rest_framework import serializers, status
from rest_framework.response import Response

from .models import Payment


class PaymentStartedSerializer(serializers.ModelSerializer):
    """A customer's deposit: a pending payment; the browser goes to `payment_url` to pay."""

    class Meta:
        model = Payment
        fields = ["id", "reference", "status", "amount", "currency", "payment_url", "expires_at"]
        read_only_fields = fields


def payment_started_response(payment: Payment) -> Response:
    return Response(PaymentStartedSerializer(payment).data, status=status.HTTP_201_CREATED)
