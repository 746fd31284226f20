from rest_framework import serializers


class StrictSerializerMixin:
    """Refuse fields the endpoint does not know, so typos and mass assignment are visible."""

    def to_internal_value(self, data):
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError({name: ["Unknown field."] for name in unknown})
        # Read-only fields (balance, account_no, user, ...) that a client sends back are
        # dropped by DRF, never stored.
        return super().to_internal_value(data)
