from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import generics
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Manager, User
from approvals.models import ApprovalRequest
from approvals.responses import PendingApprovalSerializer, pending_response
from approvals.services import submit
from mfa.permissions import FreshSecondFactor

from .permissions import HasCapability
from .serializers import RoleChangeSerializer, StaffMemberSerializer


class StaffListView(generics.ListAPIView):
    """Staff members and their roles."""

    serializer_class = StaffMemberSerializer
    permission_classes = [HasCapability("manage_staff") | HasCapability("read_audit")]
    search_fields = ["user__username", "user__first_name", "user__last_name"]

    def get_queryset(self):
        return Manager.objects.select_related("user").prefetch_related("user__groups").order_by("id")


class RoleChangeView(APIView):
    """Give a staff member one role (teller, loan_officer, branch_manager, auditor). Four eyes:
    202 and a request another staff member with `manage_staff` approves."""

    permission_classes = [HasCapability("manage_staff"), FreshSecondFactor]

    @extend_schema(request=RoleChangeSerializer, responses={202: PendingApprovalSerializer})
    def post(self, request, user_id):
        serializer = RoleChangeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = get_object_or_404(User, pk=user_id, manager__isnull=False)
        role = serializer.validated_data["role"]
        outcome = submit(action=ApprovalRequest.Action.CHANGE_ROLE, maker=request.user, target=user,
                         payload={"role": role}, summary=f"Make {user.get_username()} a {role}")
        if outcome.pending:
            return pending_response(outcome.approval)
        return Response(outcome.result)
