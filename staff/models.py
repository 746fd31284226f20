from django.db import models

from .capabilities import CAPABILITIES


class Capability(models.Model):
    """No table: the model only carries the staff permissions (`staff.<codename>`), which
    the roles (Django groups) hold and HasCapability checks."""

    class Meta:
        managed = False
        default_permissions = ()
        permissions = list(CAPABILITIES.items())
