from django.urls import path

from . import views

urlpatterns = [
    path("contact/", views.ContactMessageListCreateView.as_view(), name="contact-list"),
    path("contact/<int:pk>/", views.ContactMessageDetailView.as_view(), name="contact-detail"),
    path("contact/<int:pk>/handle/", views.HandleContactMessageView.as_view(), name="contact-handle"),
]
