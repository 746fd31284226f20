"""Money, defined once: its size, its cent, its model and serializer fields, its one rule.

Every amount in the bank is a Decimal with 2 decimal places and at most 18 digits
(16 before the point: far above any real balance, within every database's exact numeric).
"""

from decimal import Decimal

from django.conf import settings
from django.db import models
from rest_framework import serializers

from bank_project.errors import DomainError

MAX_DIGITS = 18
DECIMAL_PLACES = 2
CENT = Decimal("0.01")
ZERO = Decimal("0.00")


class InvalidAmount(DomainError):
    code = "invalid_amount"
    default_message = "The amount must be a positive number of at most 2 decimal places."


def money_field(**kwargs) -> models.DecimalField:
    """A model field holding an amount of money."""
    return models.DecimalField(max_digits=MAX_DIGITS, decimal_places=DECIMAL_PLACES, **kwargs)


def money_output(**kwargs) -> serializers.DecimalField:
    """A serializer field showing an amount (a string with 2 decimals, as DRF renders Decimals)."""
    return serializers.DecimalField(max_digits=MAX_DIGITS, decimal_places=DECIMAL_PLACES, **kwargs)


def validate_amount(amount, *, what: str = "amount", maximum: Decimal | None = None, error=InvalidAmount) -> Decimal:
    """The amount rule: a finite Decimal, > 0, whole cents, at most `maximum`.

    Services call it as their own guard; serializers refuse bad amounts earlier, with the
    same messages, through MoneyField. `error` lets a domain raise its own subclass.
    """
    if not isinstance(amount, Decimal) or not amount.is_finite():
        raise error(f"The {what} must be a number.")
    if amount <= 0:
        raise error(f"The {what} must be greater than zero.")
    if amount != amount.quantize(CENT):
        raise error(f"The {what} can have at most 2 decimal places.")
    if maximum is not None and amount > maximum:
        raise error(f"The {what} cannot exceed {maximum} per transaction.")
    return amount


class MoneyField(serializers.DecimalField):
    """An amount sent by a client: a JSON string or number, > 0, whole cents, under the
    per-transaction limit (MAX_TRANSACTION_AMOUNT) unless `max_value=None` is given."""

    def __init__(self, **kwargs):
        limit = kwargs.pop("max_value", settings.MAX_TRANSACTION_AMOUNT)
        too_large = f"The amount cannot exceed {limit} per transaction." if limit else "The amount is too large."
        kwargs.setdefault("max_digits", MAX_DIGITS)
        kwargs.setdefault("decimal_places", DECIMAL_PLACES)
        kwargs.setdefault("min_value", CENT)
        # Messages must be in place before DRF builds its min/max validators from them.
        kwargs["error_messages"] = {
            "invalid": "Enter the amount as a number, e.g. 125.50.",
            "min_value": "The amount must be greater than zero.",
            "max_value": too_large,
            "max_decimal_places": "The amount can have at most 2 decimal places.",
            "max_whole_digits": too_large,
            "max_digits": too_large,
            "max_string_length": "The amount is too long.",
            **kwargs.get("error_messages", {}),
        }
        super().__init__(max_value=limit, **kwargs)

    def to_internal_value(self, data):
        if isinstance(data, bool):  # True would otherwise read as 1
            self.fail("invalid")
        return super().to_internal_value(data)
