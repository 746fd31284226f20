from drf_spectacular.utils import extend_schema
from rest_framework import generics, permissions, status
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt.exceptions import InvalidToken, TokenError
from rest_framework_simplejwt.serializers import TokenRefreshSerializer
from rest_framework_simplejwt.tokens import RefreshToken
from rest_framework_simplejwt.views import TokenRefreshView

from audit.models import Action
from audit.services import audited, record
from bank_project.api.throttling import BankRateThrottle, IPScopedRateThrottle
from mfa.permissions import FreshSecondFactor
from onboarding import services as onboarding
from staff.permissions import HasCapability, StaffNeeds

from . import selectors, services
from .models import User
from .permissions import IsOwnerOrManager
from .serializers import (
    ChangePasswordSerializer,
    CustomerSerializer,
    LoginResponseSerializer,
    LoginSerializer,
    LogoutSerializer,
    ManagerCreateSerializer,
    ManagerSerializer,
    ManagerUpdateSerializer,
    MessageSerializer,
    PasswordChangedSerializer,
    ProfileUpdateSerializer,
    RegisterSerializer,
)
from .tokens import is_revoked, issue_tokens, predates_password_change, revoke


class RegisterView(APIView):
    permission_classes = [permissions.AllowAny]
    throttle_classes = [IPScopedRateThrottle]
    throttle_scope = "register"

    @extend_schema(request=RegisterSerializer, responses={201: ProfileUpdateSerializer}, auth=[])
    def post(self, request):
        serializer = RegisterSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = onboarding.register(**serializer.validated_data)
        return Response(ProfileUpdateSerializer(user).data, status=status.HTTP_201_CREATED)


class LoginView(APIView):
    """Wrong passwords get 401; past the failed-login limit (per username and per client IP)
    every attempt gets 429 until the window ends, right password or not."""

    permission_classes = [permissions.AllowAny]
    authentication_classes = []
    throttle_classes = []

    @extend_schema(request=LoginSerializer, responses={200: LoginResponseSerializer}, auth=[])
    def post(self, request):
        serializer = LoginSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = services.log_in(
            request=request,
            username=serializer.validated_data["username"],
            password=serializer.validated_data["password"],
            ip=BankRateThrottle().get_ident(request),
        )
        return Response(issue_tokens(user))


class LogoutView(APIView):
    """Revokes the access token used for this call and, when sent, the refresh token."""

    @extend_schema(request=LogoutSerializer, responses={200: MessageSerializer})
    def post(self, request):
        serializer = LogoutSerializer(data=request.data or {})
        serializer.is_valid(raise_exception=True)
        refresh = serializer.validated_data.get("refresh")
        if refresh:
            try:
                refresh_token = RefreshToken(refresh)
            except TokenError:
                return Response(
                    {"refresh": ["This refresh token is invalid or expired."]}, status=status.HTTP_400_BAD_REQUEST
                )
            if str(refresh_token.get("user_id")) != str(request.user.pk):
                return Response({"refresh": ["This refresh token is not yours."]}, status=status.HTTP_400_BAD_REQUEST)
            revoke(refresh_token)
        if request.auth is not None and hasattr(request.auth, "payload"):
            revoke(request.auth)
        return Response({"detail": "Logged out."})


class RevocationAwareTokenRefreshSerializer(TokenRefreshSerializer):
    def validate(self, attrs):
        try:
            token = RefreshToken(attrs["refresh"])
        except TokenError:
            token = None
        if token is not None:
            user = User.objects.filter(pk=token.get("user_id")).first()
            if is_revoked(token) or (user is not None and predates_password_change(token, user)):
                raise InvalidToken("Token has been revoked.")
        return super().validate(attrs)


class TokenRefresh(TokenRefreshView):
    serializer_class = RevocationAwareTokenRefreshSerializer
    throttle_classes = []


class UpdateProfileView(generics.RetrieveUpdateAPIView):
    """The logged-in user's own name and email."""

    serializer_class = ProfileUpdateSerializer

    def get_object(self):
        return self.request.user


class UpdatePasswordView(APIView):
    """Every token issued before the change stops working; the response carries new ones."""

    @extend_schema(request=ChangePasswordSerializer, responses={200: PasswordChangedSerializer})
    def put(self, request):
        serializer = ChangePasswordSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.change_password(
            user=request.user,
            old_password=serializer.validated_data["old_password"],
            new_password=serializer.validated_data["new_password"],
        )
        request.user.refresh_from_db(fields=["tokens_valid_after"])
        return Response({"detail": "Password updated. Other sessions have been logged out.",
                         **issue_tokens(request.user)})


class CustomerListCreateView(generics.ListCreateAPIView):
    """Customers see a list holding only themselves; managers see every customer."""

    serializer_class = CustomerSerializer
    search_fields = ["user__username", "user__first_name", "user__last_name", "user__email", "nid", "mobile_no",
                     "account__account_no"]
    filterset_fields = ["account_type"]

    def get_queryset(self):
        return selectors.customers_for(self.request.user)

    def perform_create(self, serializer):
        serializer.instance = onboarding.open_customer(user=self.request.user, **serializer.validated_data)


class CustomerDetailView(generics.RetrieveUpdateAPIView):
    serializer_class = CustomerSerializer
    # The scoped queryset already makes another customer's profile a 404; the object
    # permission is the second guard should that scoping ever be loosened.
    permission_classes = [permissions.IsAuthenticated, StaffNeeds.to(read="view_customers", write="edit_customers"),
                          IsOwnerOrManager]

    def get_queryset(self):
        return selectors.customers_for(self.request.user)

    def retrieve(self, request, *args, **kwargs):
        response = super().retrieve(request, *args, **kwargs)
        if request.user.is_manager and response.data.get("user") != request.user.pk:
            # Staff opening one customer's profile is on the audit trail.
            record(Action.CUSTOMER_VIEWED, actor=request.user, target_type="accounts.customer",
                   target_id=kwargs[self.lookup_field])
        return response


class ManagerListCreateView(generics.ListAPIView):
    """Anyone logged in may list (a non-manager gets an empty list); only managers create."""

    serializer_class = ManagerSerializer
    search_fields = ["user__username", "user__first_name", "user__last_name", "nid"]

    def get_permissions(self):
        if self.request.method == "POST":
            return [HasCapability("manage_staff")(), FreshSecondFactor()]
        return super().get_permissions()

    def get_queryset(self):
        return selectors.managers_for(self.request.user)

    def get_serializer_class(self):
        if self.request.method == "POST":
            return ManagerCreateSerializer
        return ManagerSerializer

    @extend_schema(request=ManagerCreateSerializer, responses={201: ManagerSerializer})
    def post(self, request, *args, **kwargs):
        serializer = ManagerCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = serializer.validated_data["user"]
        with audited(Action.STAFF_CREATED, actor=request.user, target=user) as event:
            manager = services.create_manager(**serializer.validated_data)
            event.after = {"manager_id": manager.pk, "roles": [group.name for group in user.groups.all()]}
        return Response(ManagerSerializer(manager).data, status=status.HTTP_201_CREATED)


class ManagerDetailView(generics.RetrieveUpdateAPIView):
    serializer_class = ManagerUpdateSerializer

    def get_queryset(self):
        return selectors.managers_for(self.request.user)

    def get_permissions(self):
        if self.request.method not in permissions.SAFE_METHODS:
            return [HasCapability("manage_staff")(), FreshSecondFactor()]
        return super().get_permissions()
