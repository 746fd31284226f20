"""The old web client's /api/transactions/loans/... paths: the same views, the list as a
bare JSON array of the newest 100 rows. Left out of the OpenAPI schema (bank_project/schema.py)."""

from django.urls import path

from bank_project.api.pagination import LegacyListPagination

from . import views

urlpatterns = [
    path("", views.LoanListCreateView.as_view(pagination_class=LegacyListPagination)),
    path("preview/", views.LoanPreviewView.as_view()),
    path("<int:pk>/", views.LoanDetailView.as_view()),
    path("<int:pk>/approve/", views.ApproveLoanView.as_view()),
    path("<int:pk>/reject/", views.RejectLoanView.as_view()),
    path("<int:pk>/repay/", views.RepayLoanView.as_view()),
    path("<int:pk>/cancel/", views.CancelLoanView.as_view()),
]
