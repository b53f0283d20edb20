"""The API's filter backend: every filter that names a row offers only the rows the user may see.

django-filter builds a ModelChoiceFilter over `Model.objects.all()` for a `filterset_fields` entry such as
`company`; its form (shown in the browsable API) would list every company's rows and accept their ids. This
backend narrows each such filter to the user's companies (company/tenancy.py) before the form is built, so an
endpoint added with plain `filterset_fields` is scoped too, and another company's id is refused exactly as one
that does not exist.

Both backends refuse what they would otherwise pass over in silence: a yes/no filter given neither
(django-filter reads `?is_active=maybe` as no filter at all, so the answer would list every row as if
unfiltered) and an `ordering` naming a field the endpoint does not order by (DRF's OrderingFilter drops it).
Either is a 400 naming the parameter, like every other bad filter value.
"""

from typing import Any

import django_filters
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import exceptions, filters

from company import tenancy


class TenancyFilterBackend(DjangoFilterBackend):
    def get_filterset(self, request: Any, queryset: QuerySet[Any], view: Any) -> Any:
        filterset = super().get_filterset(request, queryset, view)
        if filterset is None:
            return None
        user = getattr(request, "user", None)
        errors: dict[str, list[str]] = {}
        for name, one in filterset.filters.items():
            if isinstance(one, django_filters.BooleanFilter):
                # The filter's own widget reads the value: what it cannot read as yes or no, it reads as none.
                data = filterset.form.data
                given = data.get(name, "") if data is not None else ""
                widget = filterset.form.fields[name].widget
                if given != "" and widget.value_from_datadict(data, None, name) is None:
                    errors[name] = [_("Enter true or false.")]
                continue
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
        if errors:
            raise exceptions.ValidationError(errors)
        return filterset


class StrictOrderingFilter(filters.OrderingFilter):
    """DRF's ordering, with a field the endpoint does not order by refused (400) rather than dropped."""

    def get_ordering(self, request: Any, queryset: QuerySet[Any], view: Any) -> Any:
        params = request.query_params.get(self.ordering_param)
        # Only a list is ordered: a row, or an action on one, leaves the parameter alone as before.
        listing = request.method == "GET" and getattr(view, "action", "list") in ("list", None)
        if params and listing:
            fields = [param.strip() for param in params.split(",") if param.strip()]
            valid = {item[0] for item in self.get_valid_fields(queryset, view, {"request": request})}
            # One leading "-" turns the order round, as DRF reads it; "--amount" names no field.
            unknown = [field for field in fields if field.removeprefix("-") not in valid]
            if unknown:
                raise exceptions.ValidationError(
                    {
                        self.ordering_param: [
                            _("Cannot order by %(fields)s. Choose among: %(valid)s.")
                            % {"fields": ", ".join(unknown), "valid": ", ".join(sorted(valid)) or "-"}
                        ]
                    }
                )
        return super().get_ordering(request, queryset, view)
