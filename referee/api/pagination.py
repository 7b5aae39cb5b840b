"""Page/page_size pagination with bare-array bodies and Link + X-Result-Count headers (§1, Lists)."""

from urllib.parse import quote, urlencode

from django.core.paginator import InvalidPage
from rest_framework.exceptions import NotFound
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response

MAX_PAGE_SIZE = 300
DEFAULT_PAGE_SIZE = 10


class LinkHeaderPagination(PageNumberPagination):
    page_size = DEFAULT_PAGE_SIZE
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE

    def get_page_size(self, request):
        raw = request.query_params.get(self.page_size_query_param)
        try:
            size = int(raw)
        except (TypeError, ValueError):
            return self.page_size
        return min(max(size, 1), self.max_page_size) if size > 0 else self.page_size

    def paginate_queryset(self, queryset, request, view=None):
        page = self.page_of(queryset, request, view)
        return page if request.method == "HEAD" else list(page)

    def page_of(self, queryset, request, view=None):
        """The requested page's rows, not yet read (a sliced queryset for a queryset); [] for HEAD."""
        self.request = request
        page_size = self.get_page_size(request)
        paginator = self.django_paginator_class(queryset, page_size)
        count = view.unfiltered_count() if hasattr(view, "unfiltered_count") else None
        if count is not None:
            paginator.count = count  # a cached_property: set, it is not computed
        page_number = request.query_params.get(self.page_query_param) or 1
        try:
            self.page = paginator.page(page_number)
        except InvalidPage as exc:
            raise NotFound(f"Invalid page: {exc}") from exc
        if request.method == "HEAD":
            return []
        return self.page.object_list

    def get_paginated_response(self, data):
        return Response(data, headers=self.headers())

    def headers(self) -> dict[str, str]:
        return {"X-Result-Count": str(self.page.paginator.count), "Link": self.link_header()}

    def link_header(self) -> str:
        page = self.page
        links = [(self._page_url(None), "first")]
        if page.has_previous():
            links.append((self._page_url(page.previous_page_number()), "prev"))
        if page.has_next():
            links.append((self._page_url(page.next_page_number()), "next"))
        links.append((self._page_url(page.paginator.num_pages), "last"))
        return ", ".join(f'<{url}>; rel="{rel}"' for url, rel in links)

    def _page_url(self, number):
        """Absolute URL of a page; `first` drops `page`. Commas are percent-encoded so that the
        Link header's own comma separators stay unambiguous."""
        params = [
            (key, value)
            for key, values in self.request.query_params.lists()
            if key != self.page_query_param
            for value in values
        ]
        if number is not None:
            params.append((self.page_query_param, str(number)))
        base = self.request.build_absolute_uri(self.request.path)
        query = urlencode(params, quote_via=quote, safe="")
        return f"{base}?{query}" if query else base

    def get_paginated_response_schema(self, schema):
        return schema
