from rest_framework import serializers


class CodeSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=16, trim_whitespace=True)


class TOTPStartedSerializer(serializers.Serializer):
    secret = serializers.CharField(help_text="Base32 secret, for typing into an authenticator app.")
    otpauth_uri = serializers.CharField(help_text="otpauth://totp/... for a QR code.")
    digits = serializers.IntegerField()
    period = serializers.IntegerField()


class TOTPConfirmedSerializer(serializers.Serializer):
    detail = serializers.CharField()
    recovery_codes = serializers.ListField(child=serializers.CharField(), help_text="Each works once. Shown only now.")


class StepUpSerializer(serializers.Serializer):
    detail = serializers.CharField()
    valid_until = serializers.DateTimeField()


class MFAStatusSerializer(serializers.Serializer):
    enrolled = serializers.BooleanField()
    required = serializers.BooleanField(help_text="Whether risky actions need a second factor for this user.")
    step_up_valid_until = serializers.DateTimeField(allow_null=True)
