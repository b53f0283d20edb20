"""Which companies a user may see. Every query in UI, API and admin goes through here."""

from typing import Any

from django.db.models import Model, QuerySet

from company import models


def companies_for_user(user: Any) -> QuerySet[models.Company]:
    """Return the companies the user is a member of (all of them for a superuser)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return models.Company.objects.none()
    if user.is_superuser:
        return models.Company.objects.all()
    return models.Company.objects.filter(memberships__user=user).distinct()


def scope_to_user[M: Model](queryset: QuerySet[M], user: Any, company_field: str = "company") -> QuerySet[M]:
    """Narrow a queryset of company-owned rows to the companies the user may see."""
    if user is not None and user.is_authenticated and user.is_active and user.is_superuser:
        return queryset
    return queryset.filter(**{f"{company_field}__in": companies_for_user(user).values("pk")})
