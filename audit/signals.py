"""Authentication events Django announces itself: a failed authenticate() (the API's login
and the admin's) and a session login (the admin, the browsable API)."""

from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.dispatch import receiver

from .models import Action
from .services import record


@receiver(user_login_failed, dispatch_uid="audit.login_failed")
def login_failed(sender, credentials, request=None, **kwargs):
    record(Action.LOGIN_FAILED, actor_username=str(credentials.get("username", ""))[:150])


@receiver(user_logged_in, dispatch_uid="audit.session_login")
def session_login(sender, request, user, **kwargs):
    record(Action.ADMIN_LOGIN, actor=user, target=user,
           after={"path": request.path[:200] if request else "", "second_factor": hasattr(user, "otp_device")})
