"""The old web client's /api/transactions/... paths: same views, bare-array lists.

Loans mount their old paths (/api/transactions/loans/...) from loans/legacy_urls.py.
"""

from django.urls import include, path

from bank_project.api.pagination import LegacyListPagination

from . import views

transactions_legacy_urlpatterns = [
    path("deposit/", views.DepositView.as_view(pagination_class=LegacyListPagination)),
    path("withdrawal/", views.WithdrawalView.as_view(pagination_class=LegacyListPagination)),
    path("balance-transfer/", views.BalanceTransferView.as_view(pagination_class=LegacyListPagination)),
    path("loans/", include("loans.legacy_urls")),
]
