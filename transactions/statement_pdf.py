"""PDF account statements, laid out by WeasyPrint from an HTML template.

Page 1 carries the bank, the customer and account, the period, the opening and closing
balances, the totals and a chart of the balance; the entries follow, each with its running
balance, on as many pages as they need, under a column header repeated on every page.

Entries are set as lines of a monospaced font, one text line each: WeasyPrint lays out a
table cell as its own box, and a six-column table of 5,000 rows took 26 s to render here,
where 5,000 monospaced lines take about 4 s (docs/architecture.md).
"""

from datetime import datetime, time, timedelta
from decimal import Decimal
from html import escape

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone
from rest_framework import renderers

from .models import Account, Transaction
from .statement_chart import balance_chart_svg

KIND_LABELS = dict(Transaction.Kind.choices)
# Column widths in characters: date, reference, details, paid out, paid in, balance.
COLUMNS = (("Date", 16, "<"), ("Reference", 18, "<"), ("Details", 30, "<"),
           ("Paid out", 13, ">"), ("Paid in", 13, ">"), ("Balance", 15, ">"))
GAP = "  "


class PDFRenderer(renderers.BaseRenderer):
    """Passes through the PDF bytes a view has made (`?format=pdf`)."""

    media_type = "application/pdf"
    format = "pdf"
    charset = None
    render_style = "binary"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return data


def css_string(text: str) -> str:
    """`text` as a quoted CSS string (for margin-box content)."""
    return '"' + "".join(f"\\{ord(char):x} " if char in '"\\\n<>' else char for char in text) + '"'


def _money(value: Decimal) -> str:
    return f"{value:,.2f}"


def _fit(text: str, width: int) -> str:
    text = " ".join(text.split())  # no tabs or line breaks inside a line
    return text if len(text) <= width else text[: width - 1] + "…"


def _row(cells) -> str:
    return GAP.join(f"{_fit(cell, width):{align}{width}}" for cell, (_, width, align) in zip(cells, COLUMNS, strict=True))


def _details(line: dict) -> str:
    label = KIND_LABELS.get(line["kind"], line["kind"])
    description = line["description"]
    return label if not description or description == label else f"{label}: {description}"


def entry_lines(lines: list[dict]) -> list[str]:
    rows = []
    for line in lines:
        amount = line["amount"]
        rows.append(_row((
            f"{timezone.localtime(line['date']):%Y-%m-%d %H:%M}",
            line["reference"],
            _details(line),
            _money(-amount) if amount < 0 else "",
            _money(amount) if amount > 0 else "",
            _money(line["balance_after"]),
        )))
    return rows


def statement_pdf(*, report: dict, account: Account) -> bytes:
    """The statement (`transactions.selectors.statement`) of `account` as PDF bytes."""
    import weasyprint  # imported here: loading Pango costs time that JSON statements need not pay

    tz = timezone.get_current_timezone()
    start = datetime.combine(report["date_from"], time.min, tzinfo=tz)
    end = min(datetime.combine(report["date_to"] + timedelta(days=1), time.min, tzinfo=tz), timezone.now())
    end = max(end, start + timedelta(hours=1))
    customer = account.customer
    user = customer.user if customer is not None else None
    context = {
        "bank_name": settings.BANK_NAME,
        "customer_name": (user.get_full_name() or user.username) if user is not None else account.name,
        "account": account,
        "report": report,
        "generated_at": timezone.localtime(),
        "opening": _money(report["opening_balance"]),
        "closing": _money(report["closing_balance"]),
        "credits": _money(report["total_credits"]),
        "debits": _money(report["total_debits"]),
        "count": len(report["entries"]),
        "chart": balance_chart_svg(
            opening=report["opening_balance"], lines=report["entries"], start=start, end=end,
            currency=account.currency, title="Balance over the period",
        ),
        "footer": css_string(
            f"{settings.BANK_NAME} · Account {account.account_no} · {report['date_from']} to {report['date_to']}"
        ),
        "header": _row(tuple(name for name, _, _ in COLUMNS)),
        # The lines as ready HTML, one block each: the template engine need not loop over
        # thousands, and WeasyPrint breaks short blocks faster than one long <pre>.
        "body": "".join(f"<p>{escape(row)}</p>" for row in entry_lines(report["entries"])),
        "opening_row": _row(("", "", "Opening balance", "", "", _money(report["opening_balance"]))),
        "closing_row": _row(("", "", "Closing balance", _money(report["total_debits"]),
                             _money(report["total_credits"]), _money(report["closing_balance"]))),
    }
    html = render_to_string("transactions/statement_pdf.html", context)
    return weasyprint.HTML(string=html).write_pdf()
