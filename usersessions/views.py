"""The caller's login sessions: list them, end one, end them all. A manager can do the same
for a customer (`?user=` / `{"user": id}`): a stolen phone is ended from the bank."""

from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Customer
from mfa.services import require_fresh_factor

from . import selectors, services
from .models import Session
from .serializers import EndedSerializer, LogoutAllSerializer, SessionSerializer


def _user_param(value):
    if value in (None, ""):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ValidationError({"user": ["Enter a user id (a whole number)."]}) from None


@extend_schema(parameters=[OpenApiParameter("user", OpenApiTypes.INT, description="Managers: a customer's user id.")])
class SessionListView(generics.ListAPIView):
    """Newest first, ended ones included (for a while: see purge_sessions)."""

    serializer_class = SessionSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema generator's mock request
            return Session.objects.none()
        return selectors.sessions_for(self.request.user, of_user_id=_user_param(self.request.query_params.get("user")))


class EndSessionView(APIView):
    @extend_schema(request=None, responses={200: EndedSerializer})
    def post(self, request, pk):
        session = get_object_or_404(selectors.manageable_sessions(request.user), pk=pk)
        reason = Session.EndReason.ENDED_BY_USER if session.user_id == request.user.pk else Session.EndReason.ENDED_BY_MANAGER
        if reason == Session.EndReason.ENDED_BY_MANAGER:
            require_fresh_factor(request)  # ending another person's sessions is a risky staff action
        ended = services.end_session(session_id=session.pk, reason=reason, ended_by=request.user)
        return Response({"detail": "Session ended." if ended else "The session had already ended.", "ended": ended})


class LogoutAllView(APIView):
    """Ends every session of the caller, this one included (or, for a manager naming a
    customer, every session of that customer)."""

    @extend_schema(request=LogoutAllSerializer, responses={200: EndedSerializer})
    def post(self, request):
        serializer = LogoutAllSerializer(data=request.data or {})
        serializer.is_valid(raise_exception=True)
        user_id = serializer.validated_data.get("user", request.user.pk)
        if user_id == request.user.pk:
            reason = Session.EndReason.LOGOUT_ALL
        elif request.user.is_manager and Customer.objects.filter(user_id=user_id).exists():
            reason = Session.EndReason.ENDED_BY_MANAGER
            require_fresh_factor(request)  # ending another person's sessions is a risky staff action
        else:
            raise ValidationError({"user": ["You can end only your own sessions (managers: a customer's)."]})
        ended = services.end_sessions(Session.objects.filter(user_id=user_id), reason=reason, ended_by=request.user)
        return Response({"detail": f"{ended} session(s) ended.", "ended": ended})
