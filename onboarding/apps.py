from django.apps import AppConfig


class OnboardingConfig(AppConfig):
    """Joins the people (accounts) and the ledger (transactions): a new customer and their account."""

    name = "onboarding"
