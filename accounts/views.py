from collections.abc import Mapping

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import generics, permissions, status
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt.serializers import TokenRefreshSerializer
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken
from rest_framework_simplejwt.views import TokenRefreshView

from audit.models import Action
from audit.services import audited, record
from bank_project.api.throttling import BankRateThrottle, IPScopedRateThrottle
from mfa.permissions import FreshSecondFactor
from onboarding import services as onboarding
from staff.permissions import HasCapability, StaffNeeds
from usersessions.models import Session
from usersessions.services import end_session, open_session

from . import selectors, services
from .authentication import live_session
from .permissions import IsOwnerOrManager
from .serializers import (
    ApplicationPendingSerializer,
    ChangePasswordSerializer,
    CustomerSerializer,
    LoginResponseSerializer,
    LoginSerializer,
    LogoutSerializer,
    ManagerApplicationFormSerializer,
    ManagerApplicationSerializer,
    ManagerCreateSerializer,
    ManagerSerializer,
    ManagerUpdateSerializer,
    MessageSerializer,
    PasswordChangedSerializer,
    ProfileUpdateSerializer,
    RegisterSerializer,
    RejectApplicationSerializer,
)
from .tokens import issue_tokens, signed_session


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
    every attempt gets 429 until the window ends, right password or not. A login opens a
    server-side session (usersessions) that every token it answers is bound to."""

    permission_classes = [permissions.AllowAny]
    authentication_classes = []
    throttle_classes = []

    @extend_schema(request=LoginSerializer, responses={200: LoginResponseSerializer}, auth=[])
    def post(self, request):
        serializer = LoginSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        ip = BankRateThrottle().get_ident(request)
        user = services.log_in(
            request=request,
            username=serializer.validated_data["username"],
            password=serializer.validated_data["password"],
            ip=ip,
        )
        session = open_session(user=user, ip=ip, user_agent=request.META.get("HTTP_USER_AGENT", ""))
        return Response(issue_tokens(user, session))


class LogoutView(APIView):
    """Ends the session of the token in the Authorization header and, when sent, of the
    refresh token: all its tokens stop working. A genuine token ends its session even when
    it has expired (accounts.tokens.signed_session). A token that is ended, forged or
    malformed has nothing left to end: still 200, so a client can always sign out."""

    permission_classes = [permissions.AllowAny]
    authentication_classes = []  # a dead token must not make this a 401

    @extend_schema(request=LogoutSerializer, responses={200: MessageSerializer})
    def post(self, request):
        serializer = LogoutSerializer(data=request.data or {})
        serializer.is_valid(raise_exception=True)
        header = request.META.get("HTTP_AUTHORIZATION", "").split()
        raw_access = header[1] if len(header) == 2 and header[0] in ("Bearer", "Token") else None
        caller = signed_session(raw_access, AccessToken)
        refresh = signed_session(serializer.validated_data.get("refresh"), RefreshToken)
        if caller and refresh and refresh[0] != caller[0]:
            return Response({"refresh": ["This refresh token is not yours."]}, status=status.HTTP_400_BAD_REQUEST)
        ended = 0
        for found in {caller, refresh} - {None}:
            ended += end_session(session_id=found[1], reason=Session.EndReason.LOGOUT)
        return Response({"detail": "Logged out." if ended else "Logged out (the session had already ended)."})


class SessionAwareTokenRefreshSerializer(TokenRefreshSerializer):
    """A refresh token works only while its session lives; using it counts as activity."""

    def validate(self, attrs):
        data = super().validate(attrs)
        live_session(RefreshToken(attrs["refresh"]))
        return data


class TokenRefresh(TokenRefreshView):
    serializer_class = SessionAwareTokenRefreshSerializer
    throttle_classes = []


class UpdateProfileView(generics.RetrieveUpdateAPIView):
    """The logged-in user's own name and email."""

    serializer_class = ProfileUpdateSerializer

    def get_object(self):
        return self.request.user


class UpdatePasswordView(APIView):
    """Every other session of the user ends; the one making the change goes on (the web
    client keeps using its token). The response also carries fresh tokens of this session."""

    @extend_schema(request=ChangePasswordSerializer, responses={200: PasswordChangedSerializer})
    def put(self, request):
        serializer = ChangePasswordSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        session = services.change_password(
            user=request.user,
            old_password=serializer.validated_data["old_password"],
            new_password=serializer.validated_data["new_password"],
            session=getattr(request.user, "login_session", None),
        )
        return Response({"detail": "Password updated. Other sessions have been logged out.",
                         **issue_tokens(request.user, session)})


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
    """Anyone logged in may list (a non-manager gets an empty list). POST with `user`: a
    manager makes that user a manager. POST without `user` (the web client's manager form,
    sent by a user with no profile): an application, 202 pending, for a manager to decide."""

    serializer_class = ManagerSerializer
    search_fields = ["user__username", "user__first_name", "user__last_name", "nid"]

    def get_permissions(self):
        if self.request.method == "POST" and self._creates_directly():
            return [HasCapability("manage_staff")(), FreshSecondFactor()]
        return super().get_permissions()

    def _creates_directly(self) -> bool:
        """With `user`: staff make that user a manager. Without: the caller applies."""
        return isinstance(self.request.data, Mapping) and "user" in self.request.data

    def get_queryset(self):
        return selectors.managers_for(self.request.user)

    def get_serializer_class(self):
        if self.request.method == "POST":
            return ManagerCreateSerializer
        return ManagerSerializer

    @extend_schema(request=ManagerCreateSerializer,
                   responses={201: ManagerSerializer, 202: ApplicationPendingSerializer})
    def post(self, request, *args, **kwargs):
        if not self._creates_directly():
            return self.apply(request)  # a body that is not an object: the form's 400
        serializer = ManagerCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = serializer.validated_data["user"]
        with audited(Action.STAFF_CREATED, actor=request.user, target=user) as event:
            manager = services.create_manager(**serializer.validated_data)
            event.after = {"manager_id": manager.pk, "roles": [group.name for group in user.groups.all()]}
        return Response(ManagerSerializer(manager).data, status=status.HTTP_201_CREATED)


    def apply(self, request):
        serializer = ManagerApplicationFormSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        application = services.apply_for_manager(user=request.user, **serializer.validated_data)
        return Response(
            {"status": "pending", "id": application.pk,
             "detail": "Your application to become a manager was received; a manager will approve or reject it."},
            status=status.HTTP_202_ACCEPTED,
        )


class ManagerApplicationListView(generics.ListAPIView):
    """Managers: applications to become a manager, newest first; `?status=pending` to filter."""

    serializer_class = ManagerApplicationSerializer
    permission_classes = [HasCapability("manage_staff")]
    filterset_fields = ["status"]

    def get_queryset(self):
        return selectors.manager_applications()


class _ApplicationDecisionView(APIView):
    permission_classes = [HasCapability("manage_staff"), FreshSecondFactor]

    def get_application(self, pk):
        return get_object_or_404(selectors.manager_applications(), pk=pk)


class ApproveManagerApplicationView(_ApplicationDecisionView):
    @extend_schema(request=None, responses={200: ManagerApplicationSerializer})
    def post(self, request, pk):
        application = self.get_application(pk)
        with audited(Action.STAFF_CREATED, actor=request.user, target=application.user) as event:
            manager = services.approve_manager_application(application=application, decided_by=request.user)
            event.after = {"manager_id": manager.pk, "application_id": application.pk}
        return Response(ManagerApplicationSerializer(self.get_application(pk)).data)


class RejectManagerApplicationView(_ApplicationDecisionView):
    @extend_schema(request=RejectApplicationSerializer, responses={200: ManagerApplicationSerializer})
    def post(self, request, pk):
        serializer = RejectApplicationSerializer(data=request.data or {})
        serializer.is_valid(raise_exception=True)
        application = self.get_application(pk)
        services.reject_manager_application(application=application, decided_by=request.user,
                                            reason=serializer.validated_data["reason"])
        return Response(ManagerApplicationSerializer(self.get_application(pk)).data)


class ManagerDetailView(generics.RetrieveUpdateAPIView):
    serializer_class = ManagerUpdateSerializer

    def get_queryset(self):
        return selectors.managers_for(self.request.user)

    def get_permissions(self):
        if self.request.method not in permissions.SAFE_METHODS:
            return [HasCapability("manage_staff")(), FreshSecondFactor()]
        return super().get_permissions()
