"""System checks: a payment gateway that cannot work is found at start-up, not by a customer."""

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register

KNOWN_GATEWAYS = ("sandbox", "sslcommerz")


@register()
def check_payment_gateway(app_configs, **kwargs):
    name = (settings.PAYMENT_GATEWAY or "").strip().lower()
    problems = []
    if name and name not in KNOWN_GATEWAYS:
        problems.append(Error(
            f"PAYMENT_GATEWAY={settings.PAYMENT_GATEWAY!r} is not a known gateway.",
            hint=f"Use one of {', '.join(KNOWN_GATEWAYS)}, or leave it empty to turn customer deposits off.",
            id="payments.E001",
        ))
    if name == "sslcommerz" and not (settings.SSLCOMMERZ_STORE_ID and settings.SSLCOMMERZ_STORE_PASSWORD):
        problems.append(Error(
            "PAYMENT_GATEWAY=sslcommerz needs SSLCOMMERZ_STORE_ID and SSLCOMMERZ_STORE_PASSWORD.",
            id="payments.E002",
        ))
    if not settings.FRONTEND_URL.startswith(("http://", "https://")):
        problems.append(Error("FRONTEND_URL must be an http(s) URL.", id="payments.E003"))
    return problems


@register(Tags.security, deploy=True)
def check_sandbox_not_in_production(app_configs, **kwargs):
    if (settings.PAYMENT_GATEWAY or "").strip().lower() == "sandbox" and not settings.DEBUG:
        return [Warning(
            "PAYMENT_GATEWAY=sandbox with DEBUG off: anyone holding a payment URL can 'pay' it "
            "without any money arriving.",
            hint="Use sslcommerz in production, or no gateway (customer deposits answer 503).",
            id="payments.W001",
        )]
    return []
