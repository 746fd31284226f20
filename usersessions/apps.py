from django.apps import AppConfig


class UserSessionsConfig(AppConfig):
    """Server-side login sessions: every token names one; ending it refuses its tokens.
    (Named apart from django.contrib.sessions, which keeps the admin's cookie sessions.)"""

    name = "usersessions"
    verbose_name = "login sessions"
