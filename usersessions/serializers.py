from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from bank_project.api.mixins import StrictSerializerMixin

from .models import Session


class SessionSerializer(serializers.ModelSerializer):
    active = serializers.SerializerMethodField(help_text="False once ended, idle too long or too old.")
    current = serializers.SerializerMethodField(help_text="The session this request was made in.")
    expires_at = serializers.DateTimeField(read_only=True, help_text="When it ends unless used again.")
    ended_reason = serializers.CharField(
        read_only=True, help_text="Empty while open; else " + ", ".join(Session.EndReason.values) + "."
    )

    class Meta:
        model = Session
        fields = ["id", "user", "created_at", "last_used_at", "expires_at", "ip", "user_agent", "active", "current",
                  "ended_at", "ended_reason"]
        read_only_fields = fields

    def get_active(self, session) -> bool:
        return session.dead_reason() is None

    @extend_schema_field(serializers.BooleanField())
    def get_current(self, session) -> bool:
        current = getattr(getattr(self.context.get("request"), "user", None), "login_session", None)
        return current is not None and current.pk == session.pk


class LogoutAllSerializer(StrictSerializerMixin, serializers.Serializer):
    user = serializers.IntegerField(
        required=False, min_value=1,
        help_text="Managers: a customer's user id, to end all of their sessions (a stolen phone). Omit for your own.",
    )


class EndedSerializer(serializers.Serializer):
    detail = serializers.CharField()
    ended = serializers.IntegerField(help_text="How many sessions this ended.")
