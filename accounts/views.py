from django.conf import settings
from django.contrib.auth import authenticate
from django.core.cache import cache
from drf_spectacular.utils import extend_schema
from rest_framework import generics, permissions, status
from rest_framework.exceptions import PermissionDenied, Throttled
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt.exceptions import InvalidToken, TokenError
from rest_framework_simplejwt.serializers import TokenRefreshSerializer
from rest_framework_simplejwt.tokens import RefreshToken
from rest_framework_simplejwt.views import TokenRefreshView

from bank_project.throttling import BankRateThrottle, IPScopedRateThrottle

from . import services
from .models import Customer, Manager, User
from .permissions import IsManager, IsOwnerOrManager
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
        user = services.register_user(**serializer.validated_data)
        return Response(ProfileUpdateSerializer(user).data, status=status.HTTP_201_CREATED)


def _failure_keys(username: str, ip: str) -> list[tuple[str, int]]:
    return [
        (f"login-failures:user:{username.lower()}", settings.LOGIN_FAILURES_PER_USERNAME),
        (f"login-failures:ip:{ip}", settings.LOGIN_FAILURES_PER_IP),
    ]


class LoginView(APIView):
    """Failed logins are counted per username and per client IP in the shared cache;
    past the limit every attempt gets 429 until the window ends, right password or not."""

    permission_classes = [permissions.AllowAny]
    authentication_classes = []
    throttle_classes = []

    @extend_schema(request=LoginSerializer, responses={200: LoginResponseSerializer}, auth=[])
    def post(self, request):
        serializer = LoginSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        username = serializer.validated_data["username"]
        keys = _failure_keys(username, BankRateThrottle().get_ident(request))
        window = settings.LOGIN_FAILURE_WINDOW_SECONDS

        if settings.API_THROTTLE:
            counts = cache.get_many([key for key, _ in keys])
            if any(counts.get(key, 0) >= limit for key, limit in keys):
                raise Throttled(wait=window, detail="Too many failed logins. Try again in a minute.")

        user = authenticate(request, username=username, password=serializer.validated_data["password"])
        if user is None:
            if settings.API_THROTTLE:
                for key, _ in keys:
                    if not cache.add(key, 1, timeout=window):
                        try:
                            cache.incr(key)
                        except ValueError:  # expired between add and incr
                            cache.add(key, 1, timeout=window)
            return Response(
                {"detail": "Wrong username or password.", "code": "invalid_credentials"},
                status=status.HTTP_401_UNAUTHORIZED,
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
        customers = Customer.objects.select_related("user", "account").order_by("-id")
        if self.request.user.is_manager:
            return customers
        return customers.filter(user=self.request.user)

    def perform_create(self, serializer):
        serializer.instance = services.create_customer(user=self.request.user, **serializer.validated_data)


class CustomerDetailView(generics.RetrieveUpdateAPIView):
    serializer_class = CustomerSerializer
    # The scoped queryset already makes another customer's profile a 404; the object
    # permission is the second guard should that scoping ever be loosened.
    permission_classes = [permissions.IsAuthenticated, IsOwnerOrManager]

    def get_queryset(self):
        customers = Customer.objects.select_related("user", "account")
        if self.request.user.is_manager:
            return customers
        return customers.filter(user=self.request.user)


class ManagerListCreateView(generics.ListAPIView):
    """Anyone logged in may list (a non-manager gets an empty list); only managers create."""

    serializer_class = ManagerSerializer
    search_fields = ["user__username", "user__first_name", "user__last_name", "nid"]

    def get_queryset(self):
        if not self.request.user.is_manager:
            return Manager.objects.none()
        return Manager.objects.select_related("user").order_by("-id")

    def get_serializer_class(self):
        if self.request.method == "POST":
            return ManagerCreateSerializer
        return ManagerSerializer

    @extend_schema(request=ManagerCreateSerializer, responses={201: ManagerSerializer})
    def post(self, request, *args, **kwargs):
        if not request.user.is_manager:
            raise PermissionDenied("Only bank managers may create managers.")
        serializer = ManagerCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        manager = services.create_manager(**serializer.validated_data)
        return Response(ManagerSerializer(manager).data, status=status.HTTP_201_CREATED)


class ManagerDetailView(generics.RetrieveUpdateAPIView):
    serializer_class = ManagerUpdateSerializer

    def get_queryset(self):
        if not self.request.user.is_manager:
            return Manager.objects.none()
        return Manager.objects.select_related("user")

    def get_permissions(self):
        if self.request.method not in permissions.SAFE_METHODS:
            return [IsManager()]
        return super().get_permissions()
