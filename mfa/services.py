"""Second factor: TOTP (RFC 6238) enrolment with django-otp's TOTPDevice, one-time recovery
codes with its StaticDevice, code checks and step-ups. django-otp keeps what makes a code
single-use (TOTPDevice.last_t: only a later time step verifies next) and throttles failures
per device (exponential back-off); we add the audit rows and the step-up window."""

from base64 import b32encode
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_otp import devices_for_user, user_has_device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework import status

from audit.models import Action
from audit.services import record
from bank_project.errors import Conflict, DomainError

from .models import StepUp

RECOVERY_DEVICE_NAME = "recovery codes"


class MFARequired(DomainError):
    status_code = status.HTTP_401_UNAUTHORIZED
    code = "mfa_required"
    default_message = ("This action needs a second factor: send a current code in the X-OTP-Code header, "
                       "or step up with POST /api/mfa/step-up/ first.")


class InvalidCode(DomainError):
    code = "invalid_otp"
    default_message = "The code is wrong, expired or already used (or too many wrong codes: wait a little)."


class AlreadyEnrolled(Conflict):
    code = "mfa_already_enrolled"
    default_message = "Two-factor authentication is already on for this user."


class NoEnrolment(Conflict):
    code = "mfa_not_started"
    default_message = "Start with POST /api/mfa/totp/ to get a secret first."


def is_enrolled(user) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


@transaction.atomic
def start_totp(*, user) -> TOTPDevice:
    """A new unconfirmed TOTP device (any earlier unconfirmed one is dropped)."""
    if is_enrolled(user):
        raise AlreadyEnrolled()
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=False)
    record(Action.MFA_ENROLMENT_STARTED, actor=user, target=user)
    return device


def secret_of(device: TOTPDevice) -> str:
    return b32encode(device.bin_key).decode().rstrip("=")


def confirm_totp(*, user, code: str) -> list[str]:
    """A valid code from the new device turns it on; returns the one-time recovery codes."""
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=False).order_by("-id").first()
        if device is None:
            raise (AlreadyEnrolled() if is_enrolled(user) else NoEnrolment())
        verified = device.verify_token(code)
    if not verified:
        record(Action.MFA_CODE_REJECTED, actor=user, target=user, after={"during": "enrolment"})
        raise InvalidCode()
    with transaction.atomic():
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        codes = _new_recovery_codes(user)
        record(Action.MFA_ENABLED, actor=user, target=user, after={"recovery_codes": len(codes)})
    return codes


def _new_recovery_codes(user) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=RECOVERY_DEVICE_NAME, confirmed=True)
    codes = [StaticToken.random_token() for _ in range(settings.MFA_RECOVERY_CODES)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


def verify_code(*, user, code: str, purpose: str) -> bool:
    """Checks `code` against the user's confirmed devices (TOTP, then recovery codes), each
    locked while it is checked so two requests cannot both spend one code. Audited."""
    code = (code or "").strip().replace(" ", "")
    device = None
    if code and len(code) <= 16:
        with transaction.atomic():
            for candidate in devices_for_user(user, confirmed=True, for_verify=True):
                if candidate.verify_token(code):
                    device = candidate
                    break
    if device is None:
        record(Action.MFA_CODE_REJECTED, actor=user, target=user, after={"during": purpose})
        return False
    action = Action.MFA_RECOVERY_CODE_USED if isinstance(device, StaticDevice) else Action.MFA_CODE_ACCEPTED
    record(action, actor=user, target=user, after={"during": purpose})
    return True


def login_key(request) -> str:
    auth = getattr(request, "auth", None)
    payload = getattr(auth, "payload", None)
    if payload:
        return str(payload.get("sid") or payload.get("jti") or "")[:64]
    session = getattr(request, "session", None)
    return (session.session_key or "") if session is not None else ""


def step_up(*, request, code: str) -> StepUp:
    user = request.user
    if not verify_code(user=user, code=code, purpose="step-up"):
        raise InvalidCode()
    with transaction.atomic():
        step, _ = StepUp.objects.update_or_create(
            user=user, login_key=login_key(request), defaults={"verified_at": timezone.now()}
        )
        record(Action.MFA_STEP_UP, actor=user, target=user)
    return step


def mfa_required_for(user) -> bool:
    """Staff (managers, superusers) need a second factor for risky actions when
    STAFF_MFA_REQUIRED is on."""
    return bool(settings.STAFF_MFA_REQUIRED and user.is_authenticated and getattr(user, "is_manager", False))


def require_fresh_factor(request) -> None:
    """For a risky action: a valid X-OTP-Code header, or a step-up on this login within
    MFA_STEP_UP_SECONDS; otherwise MFARequired (401 `mfa_required`)."""
    user = request.user
    if not mfa_required_for(user):
        return
    if not user_has_device(user, confirmed=True):
        raise MFARequired("Staff need two-factor authentication for this action: enrol with POST /api/mfa/totp/.")
    code = request.headers.get("X-OTP-Code")
    if code is not None:
        if verify_code(user=user, code=code, purpose=f"{request.method} {request.path}"):
            return
        raise MFARequired("The X-OTP-Code is wrong, expired or already used.")
    since = timezone.now() - timedelta(seconds=settings.MFA_STEP_UP_SECONDS)
    if StepUp.objects.filter(user=user, login_key=login_key(request), verified_at__gte=since).exists():
        return
    raise MFARequired()
