"""JSON and CSV rendering.

orjson renders and parses several times faster than the standard library; decimals arrive
here already as strings (COERCE_DECIMAL_TO_STRING), so nothing is lost to floats.
"""

import csv
import io
from decimal import Decimal

import orjson
from rest_framework import parsers, renderers
from rest_framework.exceptions import ParseError


def _default(value):
    if isinstance(value, Decimal):
        return str(value)
    # Lazy translation strings, UUIDs and the like.
    return str(value)


class JSONRenderer(renderers.JSONRenderer):
    def render(self, data, accepted_media_type=None, renderer_context=None):
        if data is None:
            return b""
        return orjson.dumps(data, default=_default)


class JSONParser(parsers.JSONParser):
    renderer_class = JSONRenderer

    def parse(self, stream, media_type=None, parser_context=None):
        raw = stream.read() if stream is not None else b""
        if not raw:
            raise ParseError("The request body is empty; send a JSON object.")
        try:
            # orjson refuses NaN and Infinity, as strict JSON does.
            return orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            raise ParseError(f"The request body is not valid JSON: {exc}") from exc


class CSVRenderer(renderers.BaseRenderer):
    """Renders a list of flat dicts (or a paginated {"results": [...]}) as CSV."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if isinstance(data, dict) and "results" in data:
            data = data["results"]
        if isinstance(data, dict):
            data = [data]
        buffer = io.StringIO()
        if isinstance(data, list):
            # An export with no rows is still a CSV file: its header line. (An empty body would
            # also lose its Content-Type: DRF drops the header when the content is empty.)
            header = list(data[0].keys()) if data else _header_for(renderer_context)
            writer = csv.DictWriter(buffer, fieldnames=header, extrasaction="ignore")
            writer.writeheader()
            for row in data:
                writer.writerow({key: _csv_cell(value) for key, value in row.items()})
        return buffer.getvalue().encode(self.charset)


def _header_for(renderer_context) -> list[str]:
    """Column names of an export with no rows: the view's `csv_header`, or its serializer's fields."""
    view = (renderer_context or {}).get("view")
    header = getattr(view, "csv_header", None)
    if header is None and hasattr(view, "get_serializer"):
        header = list(view.get_serializer().fields)
    return list(header or ["no rows"])


def _csv_cell(value):
    if value is None:
        return ""
    # Nested values (the audit trail's before/after) as JSON that any tool can parse back,
    # not Python's repr (single quotes, None, True).
    text = orjson.dumps(value, default=_default).decode() if isinstance(value, (dict, list)) else str(value)
    # Spreadsheets execute cells that start with these; prefix them so they stay text.
    if text and text[0] in "=+-@\t\r" and not _is_number(text):
        return "'" + text
    return text


def _is_number(text):
    try:
        Decimal(text)
    except ArithmeticError:
        return False
    return True
