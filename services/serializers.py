from rest_framework import serializers

from .models import Service


class ServiceSerializer(serializers.ModelSerializer):
    name = serializers.CharField(max_length=100, trim_whitespace=True)
    description = serializers.CharField(max_length=2000, allow_blank=True, required=False, default="")
    image = serializers.URLField(max_length=500, allow_blank=True, required=False, default="")

    class Meta:
        model = Service
        fields = ["id", "name", "description", "image", "is_active", "display_order", "created_at", "updated_at"]
        read_only_fields = ["id", "created_at", "updated_at"]
        # Uniqueness of the name is checked by the model (case-insensitive) in the service.
        validators = []
