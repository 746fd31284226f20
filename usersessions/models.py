from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone


class Session(models.Model):
    """One login: every token issued for it carries its id (the `sid` claim).

    The database is the truth: a token whose session has ended, been idle longer than
    SESSION_IDLE_MINUTES or lived longer than SESSION_MAX_HOURS is refused.
    """

    class EndReason(models.TextChoices):
        LOGOUT = "logout", "Logged out"
        LOGOUT_ALL = "logout_all", "Logged out everywhere"
        PASSWORD_CHANGED = "password_changed", "Password changed in another session"
        ENDED_BY_USER = "ended_by_user", "Ended by the user"
        ENDED_BY_MANAGER = "ended_by_manager", "Ended by a manager"
        IDLE = "idle", "Idle too long"
        EXPIRED = "expired", "Reached its maximum age"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="login_sessions")
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(default=timezone.now)
    ip = models.GenericIPAddressField("IP address", null=True, blank=True)
    user_agent = models.CharField(max_length=255, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_reason = models.CharField(max_length=20, choices=EndReason.choices, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["user", "ended_at"], name="session_user_open")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ended_at__isnull=True, ended_reason="")
                | models.Q(ended_at__isnull=False) & ~models.Q(ended_reason=""),
                name="session_end_has_a_reason",
            ),
        ]

    def __str__(self):
        return f"session #{self.pk} of user #{self.user_id}"

    @property
    def expires_at(self):
        """When it dies unless used again: idle limit, capped by the absolute limit."""
        idle = self.last_used_at + timedelta(minutes=settings.SESSION_IDLE_MINUTES)
        return min(idle, self.created_at + timedelta(hours=settings.SESSION_MAX_HOURS))

    def dead_reason(self, now=None) -> str | None:
        """Why this session no longer admits tokens, or None while it is alive."""
        now = now or timezone.now()
        if self.ended_at is not None:
            return self.ended_reason
        if now >= self.created_at + timedelta(hours=settings.SESSION_MAX_HOURS):
            return self.EndReason.EXPIRED
        if now >= self.last_used_at + timedelta(minutes=settings.SESSION_IDLE_MINUTES):
            return self.EndReason.IDLE
        return None
