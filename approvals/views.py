import django_filters
from drf_spectacular.utils import extend_schema
from rest_framework import generics
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from mfa.permissions import FreshSecondFactor
from staff.permissions import HasCapability, has_capability

from . import services
from .actions import ACTIONS
from .models import ApprovalRequest
from .serializers import ApprovalSerializer, RejectSerializer


class ApprovalFilter(django_filters.FilterSet):
    class Meta:
        model = ApprovalRequest
        fields = ["status", "action", "maker", "checker", "target_type", "target_id"]


class CanCheckApprovals(BasePermission):
    """Staff whose role may check at least one kind of request (the kind is checked later)."""

    message = "Your staff role cannot check four-eyes requests."

    def has_permission(self, request, view):
        return any(has_capability(request.user, action.checker_capability) for action in ACTIONS.values())


def _approvals():
    return ApprovalRequest.objects.select_related("maker", "checker")


class ApprovalListView(generics.ListAPIView):
    """Four-eyes requests, newest first; `?status=pending` for the work queue."""

    serializer_class = ApprovalSerializer
    permission_classes = [HasCapability("view_approvals")]
    filterset_class = ApprovalFilter

    def get_queryset(self):
        return _approvals()


class ApprovalDetailView(generics.RetrieveAPIView):
    serializer_class = ApprovalSerializer
    permission_classes = [HasCapability("view_approvals")]

    def get_queryset(self):
        return _approvals()


class ApproveView(APIView):
    """A different staff member, whose role may do the action, approves: it executes now,
    once. Already decided: 409; the maker themself: 403."""

    # Which capability depends on the request: services.approve checks it under the row lock.
    permission_classes = [CanCheckApprovals, FreshSecondFactor]

    @extend_schema(request=None, responses={200: ApprovalSerializer})
    def post(self, request, pk):
        approval = services.approve(approval_id=pk, checker=request.user)
        return Response(ApprovalSerializer(_approvals().get(pk=approval.pk)).data)


class RejectView(APIView):
    permission_classes = [CanCheckApprovals, FreshSecondFactor]

    @extend_schema(request=RejectSerializer, responses={200: ApprovalSerializer})
    def post(self, request, pk):
        serializer = RejectSerializer(data=request.data or {})
        serializer.is_valid(raise_exception=True)
        approval = services.reject(approval_id=pk, checker=request.user, reason=serializer.validated_data["reason"])
        return Response(ApprovalSerializer(_approvals().get(pk=approval.pk)).data)
