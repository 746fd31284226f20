from django.apps import AppConfig


class DemoConfig(AppConfig):
    """Demo data across every app (`seed_demo`): above the apps it fills."""

    name = "demo"
