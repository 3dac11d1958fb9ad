"""The routes of the URL configuration, listed from `get_resolver()`, and the paths the matrix requests.

A route is named by its URL name (`admin:enrollment_case_move`, `portal:dashboard`, `v1:persons-detail`)
or, when it has none, by its pattern (`admin/enrollment/case/<path:object_id>/`). Its path parameters
are filled with the objects of the matrix's world (tests/security/test_permission_matrix.py)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.urls import URLPattern, URLResolver, get_resolver

_PARAMETER = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>[^>]+)>|\(\?P<(?P<regex_name>\w+)>[^)]*\)")


@dataclass(frozen=True)
class Route:
    key: str
    pattern: str  # the full pattern, route strings and regexes joined

    @property
    def parameters(self) -> list[str]:
        return [match["name"] or match["regex_name"] for match in _PARAMETER.finditer(self.pattern)]

    @property
    def family(self) -> str:
        if self.pattern.startswith("admin/"):
            return "admin"
        if self.pattern.startswith("my/"):
            return "portal"
        if self.pattern.startswith("api/v1/"):
            return "api"
        return "site"

    def path(self, values: dict[str, object]) -> str:
        """The path with each parameter replaced by its value (regex anchors dropped)."""

        def value(match: re.Match[str]) -> str:
            return str(values[match["name"] or match["regex_name"]])

        return "/" + _PARAMETER.sub(value, self.pattern).replace("^", "").replace("$", "")


def url_routes(resolver: URLResolver | None = None) -> list[Route]:
    """Every pattern of the URL configuration, depth first, in the order Django tries them."""
    routes: list[Route] = []

    def walk(node: URLResolver, prefix: str, namespace: str) -> None:
        for entry in node.url_patterns:
            pattern = prefix + str(entry.pattern)
            if isinstance(entry, URLResolver):
                inner = (
                    f"{namespace}:{entry.namespace}" if namespace and entry.namespace else entry.namespace or namespace
                )
                walk(entry, pattern, inner or "")
            elif isinstance(entry, URLPattern):
                name = f"{namespace}:{entry.name}" if namespace and entry.name else entry.name
                routes.append(Route(key=name or pattern, pattern=pattern))

    walk(resolver or get_resolver(), "", "")
    return routes
