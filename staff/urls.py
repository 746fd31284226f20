from django.urls import path

from . import views

urlpatterns = [
    path("staff/", views.StaffListView.as_view(), name="staff-list"),
    path("staff/<int:user_id>/role/", views.RoleChangeView.as_view(), name="staff-role"),
]
