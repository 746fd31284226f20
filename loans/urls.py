from django.urls import path

from . import views

# preview/ before <int:pk>/ (an int converter would not take it, but keep the intent visible).
urlpatterns = [
    path("loans/", views.LoanListCreateView.as_view(), name="loan-list"),
    path("loans/preview/", views.LoanPreviewView.as_view(), name="loan-preview"),
    path("loans/<int:pk>/", views.LoanDetailView.as_view(), name="loan-detail"),
    path("loans/<int:pk>/approve/", views.ApproveLoanView.as_view(), name="loan-approve"),
    path("loans/<int:pk>/reject/", views.RejectLoanView.as_view(), name="loan-reject"),
    path("loans/<int:pk>/repay/", views.RepayLoanView.as_view(), name="loan-repay"),
    path("loans/<int:pk>/cancel/", views.CancelLoanView.as_view(), name="loan-cancel"),
]
