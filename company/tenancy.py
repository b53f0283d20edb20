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


def scope_related[M: Model](queryset: QuerySet[M], user: Any) -> QuerySet[M] | None:
    """Narrow the choices of a relation to what the user may see: its companies, or their rows.

    Return None for a model that belongs to no company (its choices need no narrowing).
    """
    if queryset.model is models.Company:
        return companies_for_user(user)  # type: ignore[return-value]
    if any(field.name == "company" for field in queryset.model._meta.get_fields()):
        return scope_to_user(queryset, user)
    return None


def users_for_user[M: Model](user: Any, users: QuerySet[M]) -> QuerySet[M]:
    """Narrow a queryset of users to those who share a company with `user` (all of them for a superuser)."""
    if user is not None and user.is_authenticated and user.is_active and user.is_superuser:
        return users
    return users.filter(memberships__company__in=companies_for_user(user).values("pk")).distinct()
