"""The old web client's paths (/api/auth/..., /api/account/...): same views, bare-array lists."""

from django.urls import path

from bank_project.api.pagination import LegacyListPagination

from . import views

auth_urlpatterns = [
    path("register/", views.RegisterView.as_view()),
    path("login/", views.LoginView.as_view()),
    path("logout/", views.LogoutView.as_view()),
    path("update-profile/", views.UpdateProfileView.as_view()),
    path("update-password/", views.UpdatePasswordView.as_view()),
]

account_urlpatterns = [
    path("customer/", views.CustomerListCreateView.as_view(pagination_class=LegacyListPagination)),
    path("customer/<int:pk>/", views.CustomerDetailView.as_view()),
    path("manager/", views.ManagerListCreateView.as_view(pagination_class=LegacyListPagination)),
    path("manager/<int:pk>/", views.ManagerDetailView.as_view()),
]
