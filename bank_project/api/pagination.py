from rest_framework.pagination import CursorPagination, PageNumberPagination
from rest_framework.response import Response


class PagePagination(PageNumberPagination):
    """`{count, next, previous, results}`; `?page_size=` up to 100."""

    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100


class LedgerCursorPagination(CursorPagination):
    """For append-only histories: no COUNT(*) over the whole ledger, stable under inserts."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 100
    ordering = "-id"


class LegacyListPagination(PageNumberPagination):
    """The old web client's shape: a bare JSON array of the newest 100 rows."""

    limit = 100

    def paginate_queryset(self, queryset, request, view=None):
        return list(queryset[: self.limit])

    def get_paginated_response(self, data):
        return Response(data)

    def get_paginated_response_schema(self, schema):
        return {"type": "array", "items": schema}
