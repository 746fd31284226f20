from rest_framework.pagination import CursorPagination, PageNumberPagination
from rest_framework.response import Response


class PagePagination(PageNumberPagination):
    """`{count, next, previous, results}`; `?page_size=` up to 100."""

    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100


class ArrayUnlessPagedPagination(PagePagination):
    """A bare JSON array of the first 100 rows (the web client maps over it), unless the
    caller asks for a page with `?page=` or `?page_size=`: then PagePagination's object."""

    limit = 100

    def paginate_queryset(self, queryset, request, view=None):
        self.paged = any(name in request.query_params for name in (self.page_query_param, self.page_size_query_param))
        if not self.paged:
            return list(queryset[: self.limit])
        return super().paginate_queryset(queryset, request, view)

    def get_paginated_response(self, data):
        return super().get_paginated_response(data) if self.paged else Response(data)

    def get_paginated_response_schema(self, schema):
        # `schema` is already the list's array; asked for a page, the paginated object.
        return {"oneOf": [schema, super().get_paginated_response_schema(schema)]}


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
