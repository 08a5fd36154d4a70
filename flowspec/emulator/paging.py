"""Spring-style pages for list endpoints: ``page`` (0-based), ``size``, ``sort=field,asc|desc``."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from flowspec.emulator.errors import bad_request

MAX_PAGE_SIZE = 1000


@dataclass(frozen=True)
class PageRequest:
    """The page of a list that a request selects, and the sort order."""

    page: int = 0
    size: int = 20
    sort_field: str | None = None
    descending: bool = False


def page_request(
    query: Mapping[str, str], sortable: Sequence[str], default_sort: str | None = None
) -> PageRequest:
    """Parse ``page``, ``size`` and ``sort`` from ``query``; raise 400 on invalid values."""
    page = _non_negative(query, "page", 0)
    size = _non_negative(query, "size", 20)
    if not 1 <= size <= MAX_PAGE_SIZE:
        raise bad_request(f"invalid size {size}: expected 1 to {MAX_PAGE_SIZE}")

    sort = query.get("sort", default_sort)
    if sort is None:
        return PageRequest(page, size)
    field, _, direction = sort.partition(",")
    if field not in sortable:
        raise bad_request(f"cannot sort by {field!r}: expected one of {', '.join(sortable)}")
    if direction.lower() not in {"", "asc", "desc"}:
        raise bad_request(f"invalid sort direction {direction!r}: expected asc or desc")
    return PageRequest(page, size, field, direction.lower() == "desc")


def _non_negative(query: Mapping[str, str], name: str, default: int) -> int:
    raw = query.get(name)
    if raw is None:
        return default
    if not (raw.isascii() and raw.isdigit()):
        raise bad_request(f"invalid {name} {raw!r}: expected a whole number from 0")
    return int(raw)


def paginate(
    items: Sequence[Any], request: PageRequest, key: Callable[[Any, str], Any]
) -> dict[str, Any]:
    """Sort ``items`` by ``key(item, field)`` and return the requested page as a JSON page."""
    ordered = list(items)
    if request.sort_field is not None:
        field = request.sort_field
        ordered.sort(key=lambda item: key(item, field), reverse=request.descending)
    start = request.page * request.size
    content = ordered[start : start + request.size]
    total_pages = math.ceil(len(ordered) / request.size)
    return {
        "content": content,
        "number": request.page,
        "size": request.size,
        "numberOfElements": len(content),
        "totalElements": len(ordered),
        "totalPages": total_pages,
        "first": request.page == 0,
        "last": request.page >= total_pages - 1,
    }
