"""The URL configuration as a list of endpoints, for tests that must cover every endpoint, present and future.

`endpoints()` walks the resolver; each endpoint knows its route, its parameters and, where the view says so,
the model its parameters name (a DRF viewset's queryset, a ModelAdmin's model). `Endpoint.path(values)` fills
it in.
"""

import dataclasses
import re
from typing import Any

from django.db.models import Model
from django.urls import URLPattern, URLResolver, get_resolver

_GROUP = re.compile(r"\(\?P<(\w+)>")
_CONVERTER = re.compile(r"<(?:(\w+):)?(\w+)>")


@dataclasses.dataclass(frozen=True)
class Endpoint:
    route: str  # the path with `{name}` for each parameter, e.g. "/api/customers/{pk}/"
    params: tuple[str, ...]
    alternatives: dict[str, tuple[str, ...]]  # a regex parameter that is a list of words (admin app labels)
    callback: Any
    name: str

    def path(self, values: dict[str, str]) -> str:
        return self.route.format(**values)

    @property
    def view_class(self) -> Any:
        return getattr(self.callback, "cls", None) or getattr(self.callback, "view_class", None)

    @property
    def model(self) -> type[Model] | None:
        """The model the endpoint's parameters name, when the view says which."""
        cls = self.view_class
        queryset = getattr(cls, "queryset", None)
        if queryset is not None:
            return queryset.model
        bound = getattr(self.callback, "__wrapped__", None)
        model_admin = getattr(bound, "__self__", None)
        return getattr(model_admin, "model", None)

    @property
    def is_drf(self) -> bool:
        from rest_framework.views import APIView

        cls = self.view_class
        return isinstance(cls, type) and issubclass(cls, APIView)

    def __str__(self) -> str:
        return self.route


def _regex_to_route(regex: str) -> tuple[str, dict[str, tuple[str, ...]]]:
    out, alternatives, i, unnamed = [], {}, 0, 0
    while i < len(regex):
        match = _GROUP.match(regex, i)
        if match is None and regex.startswith("([^/]+)", i):  # django-simple-history's unnamed groups
            out.append(f"{{_{unnamed}}}")
            unnamed += 1
            i += len("([^/]+)")
            continue
        if match is None:
            out.append(regex[i])
            i += 1
            continue
        depth, j = 1, match.end()
        while depth:
            depth += {"(": 1, ")": -1}.get(regex[j], 0)
            j += 1
        body = regex[match.end() : j - 1]
        if re.fullmatch(r"[\w|]+", body):
            alternatives[match.group(1)] = tuple(body.split("|"))
        out.append("{" + match.group(1) + "}")
        i = j
    route = "".join(out).lstrip("^").rstrip("$").replace("\\.", ".").replace("/?", "/")
    return route, alternatives


def _pattern_route(pattern: Any) -> tuple[str, dict[str, tuple[str, ...]]]:
    text = str(pattern.pattern)
    if pattern.pattern.__class__.__name__ == "RegexPattern":
        return _regex_to_route(text)
    return _CONVERTER.sub(lambda m: "{" + m.group(2) + "}", text), {}


def endpoints(urlconf: str | None = None) -> list[Endpoint]:
    """Return every endpoint of the URL configuration (DRF's format-suffix duplicates left out)."""
    found: list[Endpoint] = []

    def walk(patterns: list[Any], prefix: str, alternatives: dict[str, tuple[str, ...]]) -> None:
        for pattern in patterns:
            route, alts = _pattern_route(pattern)
            merged = {**alternatives, **alts}
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, prefix + route, merged)
            elif isinstance(pattern, URLPattern):
                full = "/" + prefix + route
                params = tuple(re.findall(r"\{(\w+)\}", full))
                if "format" in params:
                    continue
                found.append(Endpoint(full, params, merged, pattern.callback, pattern.name or ""))

    walk(get_resolver(urlconf).url_patterns, "", {})
    return found
