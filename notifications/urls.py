from django.urls import path

from . import views

urlpatterns = [
    path("notifications/", views.NotificationListView.as_view(), name="notification-list"),
    path("notifications/preferences/", views.EmailPreferencesView.as_view(), name="notification-preferences"),
]
