from django.db import models
from django.db.models.functions import Lower


class Service(models.Model):
    """One entry of the bank's public service catalogue (savings, loans, transfers, ...)."""

    name = models.CharField(max_length=100)
    description = models.TextField(max_length=2000, blank=True)
    image = models.URLField("image URL", max_length=500, blank=True)
    static_image = models.CharField(
        max_length=200, blank=True,
        help_text="A picture this backend serves itself, as a path under its static files "
                  "(e.g. services/savings.svg); used when `image` is empty.",
    )
    is_active = models.BooleanField(default=True, help_text="Inactive services are hidden from the public.")
    display_order = models.PositiveSmallIntegerField(default=0, help_text="Lower numbers are listed first.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["display_order", "id"]
        constraints = [
            models.UniqueConstraint(
                Lower("name"), name="service_name_unique_ci",
                violation_error_message="A service with this name already exists.",
            ),
        ]

    def __str__(self):
        return self.name
