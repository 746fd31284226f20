from django.urls import path

from . import views

urlpatterns = [
    path("register/", views.RegisterView.as_view(), name="register"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("token/refresh/", views.TokenRefresh.as_view(), name="token-refresh"),
    path("update-profile/", views.UpdateProfileView.as_view(), name="update-profile"),
    path("update-password/", views.UpdatePasswordView.as_view(), name="update-password"),
    path("customer/", views.CustomerListCreateView.as_view(), name="customer-list"),
    path("customer/<int:pk>/", views.CustomerDetailView.as_view(), name="customer-detail"),
    path("manager/", views.ManagerListCreateView.as_view(), name="manager-list"),
    path("manager/<int:pk>/", views.ManagerDetailView.as_view(), name="manager-detail"),
    path("manager-applications/", views.ManagerApplicationListView.as_view(), name="manager-application-list"),
    path("manager-applications/<int:pk>/approve/", views.ApproveManagerApplicationView.as_view(),
         name="manager-application-approve"),
    path("manager-applications/<int:pk>/reject/", views.RejectManagerApplicationView.as_view(),
         name="manager-application-reject"),
]
