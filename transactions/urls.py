from django.urls import path

from . import views

urlpatterns = [
    path("deposit/", views.DepositView.as_view(), name="deposit"),
    path("withdrawal/", views.WithdrawalView.as_view(), name="withdrawal"),
    path("balance-transfer/", views.BalanceTransferView.as_view(), name="balance-transfer"),
    path("transactions/", views.TransactionListView.as_view(), name="transaction-list"),
    path("transactions/<int:pk>/", views.TransactionDetailView.as_view(), name="transaction-detail"),
    path("transactions/<int:pk>/reverse/", views.ReverseTransactionView.as_view(), name="transaction-reverse"),
    path("accounts/", views.AccountListView.as_view(), name="account-list"),
    path("accounts/<str:account_no>/", views.AccountDetailView.as_view(), name="account-detail"),
    path("accounts/<str:account_no>/freeze/", views.FreezeAccountView.as_view(), name="account-freeze"),
    path("accounts/<str:account_no>/unfreeze/", views.UnfreezeAccountView.as_view(), name="account-unfreeze"),
    path("statement/", views.StatementView.as_view(), name="statement"),
]
