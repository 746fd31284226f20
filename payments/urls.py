from django.urls import path

from . import views

urlpatterns = [
    path("payments/", views.PaymentListView.as_view(), name="payment-list"),
    path("payments/<int:pk>/", views.PaymentDetailView.as_view(), name="payment-detail"),
    path("payments/<int:pk>/release/", views.ReleasePaymentView.as_view(), name="payment-release"),
    path("payments/<int:pk>/refuse/", views.RefusePaymentView.as_view(), name="payment-refuse"),
    path("payments/sandbox/notify/", views.SandboxNotifyView.as_view(), name="payments-sandbox-notify"),
    path("payments/sslcommerz/ipn/", views.SSLCommerzIPNView.as_view(), name="payments-sslcommerz-ipn"),
    path("payments/sslcommerz/success/", views.SSLCommerzReturnView.as_view(outcome="success"),
         name="payments-sslcommerz-success"),
    path("payments/sslcommerz/fail/", views.SSLCommerzReturnView.as_view(outcome="failed"),
         name="payments-sslcommerz-fail"),
    path("payments/sslcommerz/cancel/", views.SSLCommerzReturnView.as_view(outcome="cancelled"),
         name="payments-sslcommerz-cancel"),
]

# Outside /api/: an HTML page for a browser, not part of the JSON API.
checkout_urlpatterns = [
    path("sandbox/<str:session_id>/", views.SandboxCheckoutView.as_view(), name="payments-sandbox-checkout"),
]
