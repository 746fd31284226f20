from django.urls import path

from . import views

urlpatterns = [
    path("sessions/", views.SessionListView.as_view(), name="session-list"),
    path("sessions/<int:pk>/end/", views.EndSessionView.as_view(), name="session-end"),
    path("logout-all/", views.LogoutAllView.as_view(), name="logout-all"),
]
