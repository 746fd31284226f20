from drf_spectacular.utils import extend_schema
from rest_framework import generics
from rest_framework.response import Response
from rest_framework.views import APIView

from . import services
from .models import Notification
from .serializers import EmailPreferencesSchema, EmailPreferencesSerializer, NotificationSerializer


@extend_schema(summary="Your notifications, newest first")
class NotificationListView(generics.ListAPIView):
    """What the bank told you (or will tell you) about: money in, loans, installments, sign-ins."""

    serializer_class = NotificationSerializer
    queryset = Notification.objects.none()  # for the schema; get_queryset scopes to the caller
    filterset_fields = ["kind"]

    def get_queryset(self):
        return Notification.objects.filter(user=self.request.user).order_by("-id")


class EmailPreferencesView(APIView):
    """Which kinds of notification are emailed to you (all of them unless you opt out).

    Every notification is listed at /api/notifications/ whatever you choose here.
    """

    @extend_schema(summary="Which notifications you get by email", responses=EmailPreferencesSchema)
    def get(self, request):
        return Response(services.email_preferences(user=request.user))

    @extend_schema(summary="Choose which notifications you get by email", request=EmailPreferencesSchema,
                   responses=EmailPreferencesSchema)
    def put(self, request):
        serializer = EmailPreferencesSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return Response(services.set_email_preferences(user=request.user, choices=serializer.validated_data))

    @extend_schema(summary="Choose which notifications you get by email", request=EmailPreferencesSchema,
                   responses=EmailPreferencesSchema)
    def patch(self, request):
        return self.put(request)
