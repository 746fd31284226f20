from django.conf import settings
from django.db import models


class StepUp(models.Model):
    """A staff member proved a second factor on one login (one token's session): risky
    actions on that login need no code until MFA_STEP_UP_SECONDS have passed."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    # The token's session id (`sid` claim) or, without one, its `jti`; the Django session
    # key for the browsable API.
    login_key = models.CharField(max_length=64)
    verified_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "login_key"], name="mfa_step_up_one_per_login")]
