from django.conf import settings
from django.core.validators import MinLengthValidator, RegexValidator
from django.db import models
from django.db.models import Q

# Digits with optional leading +, spaces, dashes and brackets, as people write them.
phone_validator = RegexValidator(
    r"^\+?[0-9][0-9 ()-]{5,22}[0-9]$",
    "Enter a phone number of digits (optionally starting with +; spaces and dashes are fine).",
)


class ContactMessage(models.Model):
    """A message from the public "contact us" form, read and handled by managers."""

    name = models.CharField(max_length=100)
    email = models.EmailField(max_length=254)
    phone = models.CharField(max_length=24, blank=True, validators=[phone_validator])
    service = models.ForeignKey(
        "services.Service", null=True, blank=True, on_delete=models.SET_NULL, related_name="contact_messages",
        help_text="The service the message is about, if any.",
    )
    service_interested = models.CharField(
        max_length=100, blank=True, help_text="The service the visitor said they are interested in, as typed.",
    )
    message = models.TextField(max_length=5000, validators=[MinLengthValidator(2)])
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    is_handled = models.BooleanField(default=False)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    handled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(is_handled=True) & Q(handled_at__isnull=False))
                | (Q(is_handled=False) & Q(handled_at__isnull=True) & Q(handled_by__isnull=True)),
                name="contact_handled_fields_consistent",
            ),
        ]
        indexes = [models.Index(fields=["is_handled", "-created_at"], name="contact_open_recent")]

    def __str__(self):
        return f"{self.name} <{self.email}>: {self.message[:40]}"
