"""A local stand-in for SSLCommerz's v4 API, speaking the documented protocol over real HTTP.

SSLCommerz cannot be reached from here. This server answers the three calls the backend
makes (session, validation, query by tran_id) and produces the IPN SSLCommerz would post,
signed the documented way (verify_key/verify_sign: md5 over the sorted signed fields plus
md5 of the store password). Tests drive it: `pay()` makes a paid attempt and returns its IPN.
"""

import hashlib
import json
import secrets
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

SIGNED = (
    "amount,bank_tran_id,base_fair,card_brand,card_issuer,card_issuer_country,card_issuer_country_code,card_no,"
    "card_type,currency,currency_amount,currency_rate,currency_type,risk_level,risk_title,status,store_amount,"
    "store_id,tran_date,tran_id,val_id,value_a,value_b,value_c,value_d"
)


def md5(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest()


def sign(fields: dict, store_passwd: str) -> dict:
    """Add verify_key and verify_sign as SSLCommerz does."""
    fields = {**fields, "verify_key": SIGNED}
    signed = {key: fields[key] for key in SIGNED.split(",") if key in fields}
    signed["store_passwd"] = md5(store_passwd)
    fields["verify_sign"] = md5("&".join(f"{key}={signed[key]}" for key in sorted(signed)))
    return fields


class FakeSSLCommerz:
    def __init__(self, store_id="teststore", store_passwd="teststore@ssl"):
        self.store_id, self.store_passwd = store_id, store_passwd
        self.sessions = {}  # tran_id -> session fields
        self.attempts = {}  # val_id -> attempt
        self.calls = []  # (path, params) in order
        self.down = False
        self.validation_overrides = {}  # fields to lie about in validation answers
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    # --- what the customer does at the gateway ------------------------------------------

    def pay(self, tran_id: str, status: str = "VALID") -> dict:
        """A payment attempt in the session of `tran_id`; returns the IPN SSLCommerz posts."""
        session = self.sessions[tran_id]
        val_id = secrets.token_hex(8) if status == "VALID" else ""
        attempt = {
            "status": status, "tran_id": tran_id, "val_id": val_id, "amount": session["total_amount"],
            "store_amount": session["total_amount"], "currency": "BDT", "currency_type": session["currency"],
            "currency_amount": session["total_amount"], "currency_rate": "1.0000", "base_fair": "0.00",
            "bank_tran_id": secrets.token_hex(6), "card_type": "VISA-Dutch Bangla", "card_no": "432149XXXXXX0667",
            "card_brand": "VISA", "card_issuer": "STANDARD CHARTERED BANK", "card_issuer_country": "Bangladesh",
            "card_issuer_country_code": "BD", "risk_level": "0", "risk_title": "Safe", "store_id": self.store_id,
            "tran_date": "2026-11-29 01:02:03", "value_a": session.get("value_a", ""), "value_b": "",
            "value_c": "", "value_d": "",
        }
        if val_id:
            self.attempts[val_id] = attempt
        session.setdefault("attempts", []).append(attempt)
        return sign(attempt, self.store_passwd)

    # --- the API ------------------------------------------------------------------------

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _answer(self, status, body):
                raw = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def _params(self):
                url = urlparse(self.path)
                params = parse_qs(url.query)
                if self.command == "POST":
                    length = int(self.headers.get("Content-Length") or 0)
                    params.update(parse_qs(self.rfile.read(length).decode()))
                return url.path, {key: values[-1] for key, values in params.items()}

            def do_GET(self):
                self._route()

            def do_POST(self):
                self._route()

            def _route(self):
                path, params = self._params()
                fake.calls.append((path, params))
                if fake.down:
                    return self._answer(503, {"error": "down"})
                if (params.get("store_id"), params.get("store_passwd")) != (fake.store_id, fake.store_passwd):
                    return self._answer(200, {"status": "FAILED", "failedreason": "Store Credential Error Or Store is De-active"})
                if path == "/gwprocess/v4/api.php":
                    return self._answer(200, fake.session(params))
                if path == "/validator/api/validationserverAPI.php":
                    return self._answer(200, fake.validation(params.get("val_id", "")))
                if path == "/validator/api/merchantTransIDvalidationAPI.php":
                    return self._answer(200, fake.query(params.get("tran_id", "")))
                self._answer(404, {"error": "no such API"})

        return Handler

    def session(self, params):
        required = ("total_amount", "currency", "tran_id", "success_url", "fail_url", "cancel_url", "cus_name",
                    "cus_email", "cus_phone", "cus_add1", "cus_city", "cus_country", "shipping_method",
                    "product_name", "product_category", "product_profile")
        missing = [name for name in required if not params.get(name)]
        if missing:
            return {"status": "FAILED", "failedreason": f"Missing: {', '.join(missing)}"}
        sessionkey = secrets.token_hex(16).upper()
        self.sessions[params["tran_id"]] = {**params, "sessionkey": sessionkey}
        return {
            "status": "SUCCESS", "failedreason": "", "sessionkey": sessionkey,
            "GatewayPageURL": f"{self.url}/EasyCheckOut/{sessionkey}",
        }

    def validation(self, val_id):
        attempt = self.attempts.get(val_id)
        if attempt is None:
            return {"status": "INVALID_TRANSACTION"}
        answer = {**attempt, "APIConnect": "DONE", "validated_on": "2026-11-29 01:02:04"}
        if attempt.get("validated"):
            answer["status"] = "VALIDATED"
        attempt["validated"] = True
        answer.update(self.validation_overrides)
        return answer

    def query(self, tran_id):
        attempts = self.sessions.get(tran_id, {}).get("attempts", [])
        return {"APIConnect": "DONE", "no_of_trans_found": len(attempts),
                "element": [{k: v for k, v in a.items() if k != "validated"} for a in attempts]}
