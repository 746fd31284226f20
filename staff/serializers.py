from rest_framework import serializers

from accounts.models import Manager

from .capabilities import ROLES
from .roles import roles_of


class StaffMemberSerializer(serializers.ModelSerializer):
    user_id = serializers.IntegerField(source="user.pk", read_only=True)
    username = serializers.CharField(source="user.username", read_only=True)
    name = serializers.CharField(source="user.get_full_name", read_only=True)
    roles = serializers.SerializerMethodField()

    class Meta:
        model = Manager
        fields = ["id", "user_id", "username", "name", "roles"]
        read_only_fields = fields

    def get_roles(self, manager) -> list[str]:
        return roles_of(manager.user)


class RoleChangeSerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=list(ROLES))
