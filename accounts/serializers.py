from django.contrib.auth import password_validation
from rest_framework import serializers

from bank_project.api.mixins import StrictSerializerMixin
from bank_project.money import money_output

from .models import AccountType, Customer, Manager, ManagerApplication, Religion, User

CUSTOMER_PROFILE_FIELDS = (
    "mobile_no", "nid", "image", "age", "religion", "occupation", "monthly_income", "account_type",
)


class UpperCaseChoiceField(serializers.ChoiceField):
    """A choice whose stored values are upper case, accepted in any letter case:
    the web client sends `SAVINGS`, another caller may send `savings` or `Atheism`."""

    def to_internal_value(self, data):
        if isinstance(data, str):
            data = data.strip().upper()
        return super().to_internal_value(data)


class UserSerializer(serializers.ModelSerializer):
    role = serializers.CharField(read_only=True)

    class Meta:
        model = User
        fields = ["id", "username", "email", "first_name", "last_name", "role"]
        read_only_fields = ["id", "username", "role"]


class ProfileUpdateSerializer(StrictSerializerMixin, UserSerializer):
    pass


class CustomerSerializer(StrictSerializerMixin, serializers.ModelSerializer):
    serializer_choice_field = UpperCaseChoiceField
    user = serializers.PrimaryKeyRelatedField(read_only=True)
    username = serializers.CharField(source="user.username", read_only=True)
    first_name = serializers.CharField(source="user.first_name", read_only=True)
    last_name = serializers.CharField(source="user.last_name", read_only=True)
    email = serializers.EmailField(source="user.email", read_only=True)
    account_no = serializers.CharField(source="account.account_no", read_only=True, default=None)
    balance = money_output(source="account.balance", read_only=True, default=None
    )
    account_status = serializers.CharField(source="account.status", read_only=True, default=None)
    monthly_income = money_output(min_value=0, required=False)

    class Meta:
        model = Customer
        fields = [
            "id", "user", "username", "first_name", "last_name", "email", *CUSTOMER_PROFILE_FIELDS,
            "account_no", "balance", "account_status", "created_at",
        ]
        read_only_fields = ["id", "created_at"]


class ManagerSerializer(StrictSerializerMixin, serializers.ModelSerializer):
    serializer_choice_field = UpperCaseChoiceField
    username = serializers.CharField(source="user.username", read_only=True)
    first_name = serializers.CharField(source="user.first_name", read_only=True)
    last_name = serializers.CharField(source="user.last_name", read_only=True)
    email = serializers.EmailField(source="user.email", read_only=True)

    class Meta:
        model = Manager
        fields = [
            "id", "user", "username", "first_name", "last_name", "email",
            "mobile_no", "nid", "image", "age", "religion", "created_at",
        ]
        read_only_fields = ["id", "created_at"]


class ManagerCreateSerializer(ManagerSerializer):
    """A manager makes an existing user, who has no profile yet, a manager."""

    user = serializers.PrimaryKeyRelatedField(queryset=User.objects.all())


class ManagerUpdateSerializer(ManagerSerializer):
    user = serializers.PrimaryKeyRelatedField(read_only=True)


class RegisterSerializer(StrictSerializerMixin, serializers.Serializer):
    username = serializers.RegexField(
        r"^[\w.@+-]+\Z", max_length=150,
        error_messages={"invalid": "Use only letters, digits and @/./+/-/_ in the username."},
    )
    first_name = serializers.CharField(max_length=150, required=False, allow_blank=True, default="")
    last_name = serializers.CharField(max_length=150, required=False, allow_blank=True, default="")
    email = serializers.EmailField(max_length=254, required=False, allow_blank=True, default="")
    password = serializers.CharField(max_length=128, write_only=True, trim_whitespace=False)
    confirm_password = serializers.CharField(max_length=128, write_only=True, trim_whitespace=False)
    # Optional: sending the profile fields makes the new user a customer in the same call.
    mobile_no = serializers.CharField(max_length=16, required=False)
    nid = serializers.CharField(max_length=17, required=False)
    image = serializers.URLField(max_length=500, required=False, allow_blank=True)
    age = serializers.IntegerField(required=False)
    religion = UpperCaseChoiceField(choices=Religion.choices, required=False, allow_blank=True)
    occupation = serializers.CharField(max_length=100, required=False, allow_blank=True)
    monthly_income = money_output(min_value=0, required=False)
    account_type = UpperCaseChoiceField(choices=AccountType.choices, required=False)

    def validate_username(self, value):
        if User.objects.filter(username__iexact=value).exists():
            raise serializers.ValidationError("This username is taken.")
        return value

    def validate(self, attrs):
        if attrs["password"] != attrs["confirm_password"]:
            raise serializers.ValidationError({"confirm_password": ["The two passwords do not match."]})
        candidate = User(username=attrs["username"], email=attrs.get("email", ""),
                         first_name=attrs.get("first_name", ""), last_name=attrs.get("last_name", ""))
        try:
            password_validation.validate_password(attrs["password"], candidate)
        except Exception as exc:  # django.core.exceptions.ValidationError
            raise serializers.ValidationError({"password": list(getattr(exc, "messages", [str(exc)]))}) from exc
        profile = {name: attrs.pop(name) for name in CUSTOMER_PROFILE_FIELDS if name in attrs}
        if profile:
            missing = [name for name in ("mobile_no", "nid", "age") if name not in profile]
            if missing:
                raise serializers.ValidationError(
                    {name: ["Required to open a customer account."] for name in missing}
                )
        attrs["customer_profile"] = profile or None
        attrs.pop("confirm_password")
        return attrs


class LoginSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=128, trim_whitespace=False)


class LoginResponseSerializer(serializers.Serializer):
    access = serializers.CharField()
    refresh = serializers.CharField()
    token = serializers.CharField(
        help_text="For clients that never refresh (the existing web client): valid while its session is used, "
        "SESSION_IDLE_MINUTES idle at most, SESSION_MAX_HOURS after login at the latest."
    )
    user_id = serializers.IntegerField()
    role = serializers.ChoiceField(choices=["customer", "manager", "user"])
    session_id = serializers.IntegerField(help_text="The login session all three tokens belong to.")


class LogoutSerializer(serializers.Serializer):
    refresh = serializers.CharField(required=False, max_length=2000)


class ChangePasswordSerializer(StrictSerializerMixin, serializers.Serializer):
    old_password = serializers.CharField(max_length=128, trim_whitespace=False)
    new_password = serializers.CharField(max_length=128, trim_whitespace=False)
    confirm_password = serializers.CharField(max_length=128, trim_whitespace=False)

    def validate(self, attrs):
        if attrs["new_password"] != attrs["confirm_password"]:
            raise serializers.ValidationError({"confirm_password": ["The two passwords do not match."]})
        return attrs


class MessageSerializer(serializers.Serializer):
    detail = serializers.CharField()


class PasswordChangedSerializer(LoginResponseSerializer):
    detail = serializers.CharField()


class ManagerApplicationFormSerializer(StrictSerializerMixin, serializers.ModelSerializer):
    """The manager form as a user without a profile sends it (no `user`): an application."""

    serializer_choice_field = UpperCaseChoiceField

    class Meta:
        model = ManagerApplication
        fields = ["mobile_no", "nid", "image", "age", "religion"]


class ManagerApplicationSerializer(serializers.ModelSerializer):
    serializer_choice_field = UpperCaseChoiceField
    username = serializers.CharField(source="user.username", read_only=True)
    first_name = serializers.CharField(source="user.first_name", read_only=True)
    last_name = serializers.CharField(source="user.last_name", read_only=True)
    email = serializers.EmailField(source="user.email", read_only=True)
    decided_by = serializers.CharField(source="decided_by.username", read_only=True, allow_null=True, default=None)

    class Meta:
        model = ManagerApplication
        fields = ["id", "user", "username", "first_name", "last_name", "email", "mobile_no", "nid", "image", "age",
                  "religion", "status", "created_at", "decided_by", "decided_at", "decision_reason"]
        read_only_fields = fields


class ApplicationPendingSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=["pending"])
    detail = serializers.CharField()
    id = serializers.IntegerField(help_text="The application's id.")


class RejectApplicationSerializer(StrictSerializerMixin, serializers.Serializer):
    reason = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")
