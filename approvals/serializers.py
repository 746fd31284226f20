from rest_framework import serializers

from .models import ApprovalRequest


class ApprovalSerializer(serializers.ModelSerializer):
    maker_username = serializers.CharField(source="maker.username", read_only=True)
    checker_username = serializers.CharField(source="checker.username", read_only=True, default=None)

    class Meta:
        model = ApprovalRequest
        fields = ["id", "action", "status", "summary", "target_type", "target_id", "payload", "maker",
                  "maker_username", "created_at", "checker", "checker_username", "decided_at", "reason", "result"]
        read_only_fields = fields


class RejectSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")
