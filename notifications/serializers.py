from rest_framework import serializers

from .models import Kind, Notification


class NotificationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Notification
        fields = ["id", "kind", "subject", "body", "created_at", "email_status", "emailed_at"]
        read_only_fields = fields


class EmailPreferencesSerializer(serializers.Serializer):
    """Which kinds are emailed: `{"<kind>": true|false, ...}`; kinds left out keep their choice."""

    def to_internal_value(self, data):
        if not isinstance(data, dict):
            raise serializers.ValidationError(
                {"non_field_errors": ['Send an object mapping notification kinds to true or false, e.g. '
                                      '{"new_sign_in": false}.']}
            )
        errors, choices = {}, {}
        for kind, value in data.items():
            if kind not in Kind.values:
                errors[kind] = [f"Unknown notification kind. Choose from: {', '.join(Kind.values)}."]
            elif not isinstance(value, bool):
                errors[kind] = ["Must be true or false."]
            else:
                choices[kind] = value
        if errors:
            raise serializers.ValidationError(errors)
        return choices

    def to_representation(self, instance):
        return dict(instance)


# For the schema only: the shape of the preferences object.
EmailPreferencesSchema = type(
    "EmailPreferences",
    (serializers.Serializer,),
    {kind: serializers.BooleanField(required=False, help_text=label) for kind, label in Kind.choices},
)
