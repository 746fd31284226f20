"""SSLCommerz (Bangladesh), API v4, hosted checkout.

What this relies on (SSLCommerz developer documentation, v4, and their reference PHP
library), and nothing more:

- Session: POST `/gwprocess/v4/api.php` (form) with `store_id, store_passwd, total_amount,
  currency, tran_id, success_url, fail_url, cancel_url, ipn_url`, customer and product
  fields. Answer (JSON): `status` "SUCCESS" with `sessionkey` and `GatewayPageURL`, or
  "FAILED" with `failedreason`.
- IPN: a form POST to `ipn_url` with `status` (VALID, FAILED, CANCELLED, UNATTEMPTED,
  EXPIRED), `tran_id`, `val_id`, `amount`, `currency`, `currency_type`, `currency_amount`,
  `bank_tran_id`, ..., `verify_key` (the names of the signed fields, comma separated) and
  `verify_sign` = md5 of `key=value` pairs of those fields plus `store_passwd=md5(store
  password)`, sorted by key and joined with `&`. We require `tran_id` and `status` (and
  `val_id` on VALID) among the signed fields.
- Validation: GET `/validator/api/validationserverAPI.php?val_id&store_id&store_passwd&v=1
  &format=json`; a paid transaction answers `status` VALID or VALIDATED with its `tran_id`,
  `currency_type` and `currency_amount` (what was asked for; `amount` is the BDT amount).
  It also answers `risk_level` ("0" safe, "1" risky: SSLCommerz tells merchants to hold
  the service and verify the customer) and `risk_title`; a risky payment is held for staff
  review instead of being credited (payments.services).
- Query: GET `/validator/api/merchantTransIDvalidationAPI.php?tran_id&store_id&store_passwd
  &format=json` answers `APIConnect` "DONE" and `element`: every attempt for the tran_id,
  each with `status` and `val_id`.
- Hosts: sandbox `https://sandbox.sslcommerz.com`, live `https://securepay.sslcommerz.com`.

HTTP goes through the standard library's urllib with a timeout: three form/JSON calls do not
justify another dependency.
"""

from __future__ import annotations

import hashlib
import json
import logging
from decimal import Decimal, InvalidOperation
from urllib.error import URLError
from urllib.parse import urlencode
from urllib.request import Request, urlopen

from django.conf import settings
from django.urls import reverse
from django.utils.crypto import constant_time_compare

from ..errors import GatewayError, InvalidNotification, InvalidSignature, NotVerified
from . import CANCELLED, FAILED, SUCCESS, Checkout, Confirmation

logger = logging.getLogger("bank.payments")

SANDBOX_URL = "https://sandbox.sslcommerz.com"
LIVE_URL = "https://securepay.sslcommerz.com"
SESSION_PATH = "/gwprocess/v4/api.php"
VALIDATION_PATH = "/validator/api/validationserverAPI.php"
QUERY_PATH = "/validator/api/merchantTransIDvalidationAPI.php"

PAID = ("VALID", "VALIDATED")
HIGH_RISK = "1"  # risk_level: "0" safe, "1" risky
IPN_OUTCOMES = {"FAILED": FAILED, "CANCELLED": CANCELLED, "UNATTEMPTED": FAILED, "EXPIRED": FAILED}


def _md5(text: str) -> str:
    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()


def verify_sign(data: dict, store_passwd: str) -> str:
    """The `verify_sign` SSLCommerz computes for `data` (see the module's docstring)."""
    signed = {key: data[key] for key in data.get("verify_key", "").split(",") if key in data}
    signed["store_passwd"] = _md5(store_passwd)
    return _md5("&".join(f"{key}={signed[key]}" for key in sorted(signed)))


def _plain(data) -> dict:
    """A form (QueryDict) or JSON object as {name: str}; one value per name."""
    if hasattr(data, "dict"):
        data = data.dict()
    if not isinstance(data, dict):
        raise InvalidNotification("The notification must be a form or a JSON object.")
    return {str(key): "" if value is None else str(value) for key, value in data.items()}


def _decimal(value, what: str) -> Decimal:
    try:
        amount = Decimal(str(value))
    except InvalidOperation as exc:
        raise NotVerified(f"The gateway's {what} is not a number.") from exc
    if not amount.is_finite():
        raise NotVerified(f"The gateway's {what} is not a number.")
    return amount


class SSLCommerzGateway:
    name = "sslcommerz"

    def __init__(self):
        self.store_id = settings.SSLCOMMERZ_STORE_ID
        self.store_passwd = settings.SSLCOMMERZ_STORE_PASSWORD
        self.base_url = (settings.SSLCOMMERZ_API_URL or (LIVE_URL if settings.SSLCOMMERZ_LIVE else SANDBOX_URL)).rstrip("/")
        self.timeout = settings.SSLCOMMERZ_TIMEOUT_SECONDS

    def is_configured(self) -> bool:
        return bool(self.store_id and self.store_passwd)

    # --- HTTP ---------------------------------------------------------------------------

    def _call(self, method: str, path: str, params: dict) -> dict:
        params = {"store_id": self.store_id, "store_passwd": self.store_passwd, **params}
        url, body = self.base_url + path, None
        if method == "GET":
            url += "?" + urlencode(params)
        else:
            body = urlencode(params).encode()
        request = Request(url, data=body, method=method, headers={
            "Accept": "application/json", "Content-Type": "application/x-www-form-urlencoded",
        })
        try:
            with urlopen(request, timeout=self.timeout) as response:
                raw = response.read(1_000_000)
        except (URLError, OSError) as exc:
            # Never log the URL: a GET carries the store password.
            logger.error("sslcommerz %s %s failed: %s", method, path, exc)
            raise GatewayError() from exc
        try:
            answer = json.loads(raw)
        except ValueError as exc:
            logger.error("sslcommerz %s %s answered something that is not JSON", method, path)
            raise GatewayError() from exc
        if not isinstance(answer, dict):
            raise GatewayError()
        return answer

    # --- Checkout -----------------------------------------------------------------------

    def start(self, payment, *, callback_base_url: str) -> Checkout:
        base = callback_base_url.rstrip("/")
        user = payment.customer.user
        answer = self._call("POST", SESSION_PATH, {
            "total_amount": f"{payment.amount:.2f}",
            "currency": payment.currency,
            "tran_id": payment.reference,
            "success_url": base + reverse("payments-sslcommerz-success"),
            "fail_url": base + reverse("payments-sslcommerz-fail"),
            "cancel_url": base + reverse("payments-sslcommerz-cancel"),
            "ipn_url": base + reverse("payments-sslcommerz-ipn"),
            "cus_name": (user.get_full_name() or user.username)[:50],
            "cus_email": user.email or "no-email@example.invalid",
            "cus_phone": payment.customer.mobile_no or "N/A",
            "cus_add1": "N/A",
            "cus_city": "N/A",
            "cus_postcode": "0000",
            "cus_country": "Bangladesh",
            "shipping_method": "NO",
            "num_of_item": 1,
            "product_name": f"Deposit to account {payment.account.account_no}",
            "product_category": "Deposit",
            "product_profile": "non-physical-goods",
            "value_a": payment.reference,
        })
        if answer.get("status") != "SUCCESS" or not answer.get("GatewayPageURL") or not answer.get("sessionkey"):
            reason = str(answer.get("failedreason") or "no session")[:200]
            logger.error("sslcommerz refused a session for payment %s: %s", payment.reference, reason)
            raise GatewayError()
        return Checkout(session_id=str(answer["sessionkey"]), payment_url=str(answer["GatewayPageURL"]))

    # --- Notifications ------------------------------------------------------------------

    def verify_notification(self, data) -> Confirmation:
        data = _plain(data)
        if not data.get("verify_sign") or not data.get("verify_key") or not data.get("tran_id"):
            raise InvalidNotification("The notification must carry tran_id, verify_key and verify_sign.")
        if not constant_time_compare(data["verify_sign"], verify_sign(data, self.store_passwd)):
            raise InvalidSignature()
        signed = set(data["verify_key"].split(","))
        status = data.get("status", "").upper()
        required = {"tran_id", "status"} | ({"val_id"} if status in PAID else set())
        if not required <= signed:
            raise InvalidSignature(f"The notification must sign {', '.join(sorted(required))}.")
        if status in IPN_OUTCOMES:
            return Confirmation(
                reference=data["tran_id"], outcome=IPN_OUTCOMES[status], detail=f"SSLCommerz status {status}"
            )
        if status not in PAID:
            raise InvalidNotification(f"Unknown status {status!r}.")
        return self.validate(val_id=data.get("val_id", ""), reference=data["tran_id"])

    def validate(self, *, val_id: str, reference: str) -> Confirmation:
        """Ask the validation API about `val_id`: the gateway's word, not the notifier's."""
        if not val_id:
            raise InvalidNotification("A paid notification must carry val_id.")
        answer = self._call("GET", VALIDATION_PATH, {"val_id": val_id, "v": 1, "format": "json"})
        status = str(answer.get("status", "")).upper()
        if status not in PAID:
            raise NotVerified(f"SSLCommerz's validation API says {status or 'nothing'} for this payment.")
        if str(answer.get("tran_id", "")) != reference:
            raise NotVerified("SSLCommerz validated a different transaction.")
        currency = str(answer.get("currency_type") or answer.get("currency") or "")
        amount = _decimal(answer.get("currency_amount") or answer.get("amount"), "amount")
        # The validation API's word on risk, not the IPN's (whose fields the notifier chose).
        risk_level = str(answer.get("risk_level") or "").strip()
        return Confirmation(
            reference=reference,
            outcome=SUCCESS,
            amount=amount,
            currency=currency,
            transaction_id=str(answer.get("val_id") or val_id),
            risk_level=risk_level[:10],
            risk_title=str(answer.get("risk_title") or "").strip()[:100],
            high_risk=risk_level == HIGH_RISK,
            extra={
                "bank_tran_id": str(answer.get("bank_tran_id", "")),
                "validation_status": status,
            },
        )

    def query(self, payment) -> Confirmation | None:
        answer = self._call("GET", QUERY_PATH, {"tran_id": payment.reference, "format": "json"})
        if answer.get("APIConnect") != "DONE":
            logger.error("sslcommerz query for %s: APIConnect %s", payment.reference, answer.get("APIConnect"))
            raise GatewayError()
        attempts = [row for row in answer.get("element") or [] if isinstance(row, dict)]
        for row in attempts:
            if str(row.get("status", "")).upper() in PAID and row.get("val_id"):
                return self.validate(val_id=str(row["val_id"]), reference=payment.reference)
        statuses = [str(row.get("status", "")).upper() for row in attempts]
        if statuses and all(status in IPN_OUTCOMES for status in statuses):
            last = statuses[-1]
            return Confirmation(
                reference=payment.reference, outcome=IPN_OUTCOMES[last], detail=f"SSLCommerz status {last}"
            )
        return None
