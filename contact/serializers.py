from rest_framework import serializers

from services.models import Service

from .models import ContactMessage, phone_validator


class ContactMessageCreateSerializer(serializers.ModelSerializer):
    """What the public form sends."""

    name = serializers.CharField(max_length=100, help_text="Your name.")
    email = serializers.EmailField(max_length=254)
    phone = serializers.CharField(max_length=24, required=False, allow_blank=True, default="",
                                  validators=[phone_validator])
    service = serializers.PrimaryKeyRelatedField(
        queryset=Service.objects.filter(is_active=True), required=False, allow_null=True, default=None,
        help_text="Id of the service the message is about (from GET /api/services/).",
    )
    service_interested = serializers.CharField(
        max_length=100, required=False, allow_blank=True, default="",
        help_text="Free text: the service the visitor is interested in (the web client's form), e.g. Home Loan.",
    )
    message = serializers.CharField(min_length=2, max_length=5000)

    class Meta:
        model = ContactMessage
        fields = ["id", "name", "email", "phone", "service", "service_interested", "message", "created_at"]
        read_only_fields = ["id", "created_at"]


class ContactMessageSerializer(serializers.ModelSerializer):
    """A manager's view of a message and whether it has been handled, by whom."""

    service_name = serializers.CharField(source="service.name", read_only=True, allow_null=True, default=None)
    handled_by_username = serializers.CharField(
        source="handled_by.username", read_only=True, allow_null=True, default=None
    )

    class Meta:
        model = ContactMessage
        fields = [
            "id", "name", "email", "phone", "service", "service_name", "service_interested", "message", "created_at",
            "is_handled", "handled_by", "handled_by_username", "handled_at",
        ]
        read_only_fields = fields
