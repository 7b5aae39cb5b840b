"""What the console's long lists share: pages of rows (a constant number of queries whatever the
list's length: a count and the page), links that keep the rest of the query string (filters,
ordering, the other list's page), and the API's `o` ordering applied to a page's query string."""

from dataclasses import dataclass
from types import SimpleNamespace

from django.core.paginator import Page, Paginator
from rest_framework.exceptions import ValidationError

from referee.api.filters import OrderingBackend

PER_PAGE = 25


@dataclass
class Listing:
    page: Page
    previous_url: str = ""
    next_url: str = ""
    param: str = "page"


def page_of(request, rows, *, param: str = "page", per_page: int = PER_PAGE) -> Listing:
    """The page of `rows` the query string's `param` asks for (the first for a missing or
    malformed number, the last past the end: a stale link still shows rows)."""
    page = Paginator(rows, per_page).get_page(request.GET.get(param))
    listing = Listing(page, param=param)
    if page.has_previous():
        listing.previous_url = _with(request, param, page.previous_page_number())
    if page.has_next():
        listing.next_url = _with(request, param, page.next_page_number())
    return listing


def _with(request, param: str, number: int) -> str:
    query = request.GET.copy()
    query[param] = str(number)
    return f"?{query.urlencode()}"


def ordered(request, queryset, fields: dict, default: list):
    """`queryset` in the order the query string's `o` asks for, exactly as the API orders it
    (`api.filters.OrderingBackend`: its keys, NULLs last, ties by `-created, uuid`). Returns the
    queryset and None, or no rows and the API's refusal of an unknown key."""
    view = SimpleNamespace(ordering_fields=fields, ordering=default)
    try:
        return OrderingBackend().filter_queryset(SimpleNamespace(query_params=request.GET), queryset, view), None
    except ValidationError as error:
        return queryset.none(), str(error.detail["o"][0])


class ShownFilters:
    """Mixed into a filterset a page shows: its fields in `SHOWN` are on the page's form; the
    others (query parameters the API takes, typed into the address by hand) still filter, and
    their errors are listed with the parameter's name."""

    SHOWN: tuple = ()

    def shown_fields(self):
        return [self.form[name] for name in self.SHOWN]

    def other_errors(self) -> list[str]:
        return [f"{name}: {error}" for name, errors in self.form.errors.items()
                if name not in self.SHOWN and name != "__all__" for error in errors]
