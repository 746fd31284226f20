from datetime import timedelta

from django.conf import settings
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from bank_project.api.throttling import BankRateThrottle

from . import services
from .models import StepUp
from .serializers import (
    CodeSerializer,
    MFAStatusSerializer,
    StepUpSerializer,
    TOTPConfirmedSerializer,
    TOTPStartedSerializer,
)


class CodeAttemptThrottle(BankRateThrottle):
    """Code guesses per user (django-otp also backs off per device after each failure)."""

    scope = "mfa"


class MFAStatusView(APIView):
    @extend_schema(responses={200: MFAStatusSerializer})
    def get(self, request):
        step = StepUp.objects.filter(user=request.user, login_key=services.login_key(request)).first()
        until = step.verified_at + timedelta(seconds=settings.MFA_STEP_UP_SECONDS) if step else None
        return Response(MFAStatusSerializer({
            "enrolled": services.is_enrolled(request.user),
            "required": services.mfa_required_for(request.user),
            "step_up_valid_until": until,
        }).data)


class TOTPStartView(APIView):
    """Start TOTP enrolment: the secret and its otpauth:// URI. Nothing is on until confirmed."""

    @extend_schema(request=None, responses={201: TOTPStartedSerializer})
    def post(self, request):
        device = services.start_totp(user=request.user)
        return Response(
            TOTPStartedSerializer({
                "secret": services.secret_of(device),
                "otpauth_uri": device.config_url,
                "digits": device.digits,
                "period": device.step,
            }).data,
            status=status.HTTP_201_CREATED,
        )


class TOTPConfirmView(APIView):
    """A current code from the authenticator turns TOTP on and returns one-time recovery codes."""

    throttle_classes = [CodeAttemptThrottle]

    @extend_schema(request=CodeSerializer, responses={200: TOTPConfirmedSerializer})
    def post(self, request):
        serializer = CodeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        codes = services.confirm_totp(user=request.user, code=serializer.validated_data["code"])
        return Response({"detail": "Two-factor authentication is on. Keep the recovery codes safe.",
                         "recovery_codes": codes})


class StepUpView(APIView):
    """Prove the second factor once: risky actions on this login need no code for
    MFA_STEP_UP_SECONDS (5 minutes)."""

    throttle_classes = [CodeAttemptThrottle]

    @extend_schema(request=CodeSerializer, responses={200: StepUpSerializer})
    def post(self, request):
        serializer = CodeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        step = services.step_up(request=request, code=serializer.validated_data["code"])
        return Response({"detail": "Verified.",
                         "valid_until": step.verified_at + timedelta(seconds=settings.MFA_STEP_UP_SECONDS)})
