from django.urls import path

from . import views

urlpatterns = [
    path("mfa/", views.MFAStatusView.as_view(), name="mfa-status"),
    path("mfa/totp/", views.TOTPStartView.as_view(), name="mfa-totp"),
    path("mfa/totp/confirm/", views.TOTPConfirmView.as_view(), name="mfa-totp-confirm"),
    path("mfa/step-up/", views.StepUpView.as_view(), name="mfa-step-up"),
]
