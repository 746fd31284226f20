from django.urls import path

from . import views

urlpatterns = [
    path("approvals/", views.ApprovalListView.as_view(), name="approval-list"),
    path("approvals/<int:pk>/", views.ApprovalDetailView.as_view(), name="approval-detail"),
    path("approvals/<int:pk>/approve/", views.ApproveView.as_view(), name="approval-approve"),
    path("approvals/<int:pk>/reject/", views.RejectView.as_view(), name="approval-reject"),
]
