"""What other apps' endpoints answer when four eyes apply: the approvals app's one public
piece of HTTP (the 202 body and its schema), so no app imports the approvals views or
serializers."""

from rest_framework import serializers, status
from rest_framework.response import Response

from .serializers import ApprovalSerializer


class PendingApprovalSerializer(serializers.Serializer):
    detail = serializers.CharField()
    status = serializers.CharField()
    approval_id = serializers.IntegerField()
    approval = ApprovalSerializer()


def pending_response(approval) -> Response:
    """What a guarded endpoint answers when four eyes apply: 202 and the request to approve."""
    return Response(
        {
            "detail": "Four eyes: this waits for a different staff member to approve it at "
                      f"/api/approvals/{approval.pk}/approve/.",
            "status": approval.status,
            "approval_id": approval.pk,
            "approval": ApprovalSerializer(approval).data,
        },
        status=status.HTTP_202_ACCEPTED,
    )
