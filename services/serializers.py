from django.templatetags.static import static
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

    def to_representation(self, service):
        data = super().to_representation(service)
        if not data["image"] and service.static_image:
            # The web client puts `image` straight into an <img>: an absolute URL.
            url = static(service.static_image)
            request = self.context.get("request")
            data["image"] = request.build_absolute_uri(url) if request is not None else url
        return data
