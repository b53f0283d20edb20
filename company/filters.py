"""The API's filter backend: every filter that names a row offers only the rows the user may see.

django-filter builds a ModelChoiceFilter over `Model.objects.all()` for a `filterset_fields` entry such as
`company`; its form (shown in the browsable API) would list every company's rows and accept their ids. This
backend narrows each such filter to the user's companies (company/tenancy.py) before the form is built, so an
endpoint added with plain `filterset_fields` is scoped too, and another company's id is refused exactly as one
that does not exist.
"""

from typing import Any

import django_filters
from django.db.models import QuerySet
from django_filters.rest_framework import DjangoFilterBackend

from company import tenancy


class TenancyFilterBackend(DjangoFilterBackend):
    def get_filterset(self, request: Any, queryset: QuerySet[Any], view: Any) -> Any:
        filterset = super().get_filterset(request, queryset, view)
        if filterset is None:
            return None
        user = getattr(request, "user", None)
        for name, one in filterset.filters.items():
            if not isinstance(
                one, django_filters.ModelChoiceFilter | django_filters.ModelMultipleChoiceFilter
            ):
                continue
            choices = one.get_queryset(request)
            scoped = tenancy.scope_related(choices, user) if choices is not None else None
            if scoped is not None:
                one.queryset = scoped
                one.extra["queryset"] = scoped
                filterset.form.fields[name].queryset = scoped
        return filterset
