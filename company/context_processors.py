from typing import Any

from django.http import HttpRequest

from company import audit, models, tenancy

SESSION_KEY = "current_company_id"
_CACHE_ATTRIBUTE = "_company_choice"

type CompanyChoice = tuple[list[models.Company], models.Company | None]


def _companies_and_choice(request: HttpRequest) -> CompanyChoice:
    """Return the user's companies and the one chosen in the session (else the first), once per request."""
    cached: tuple[list[models.Company], models.Company | None] | None = getattr(
        request, _CACHE_ATTRIBUTE, None
    )
    if cached is None:
        user = getattr(request, "user", None)
        companies = list(tenancy.companies_for_user(user)) if user is not None else []
        chosen_id = request.session.get(SESSION_KEY) if hasattr(request, "session") else None
        chosen = next((c for c in companies if c.pk == chosen_id), companies[0] if companies else None)
        cached = (companies, chosen)
        setattr(request, _CACHE_ATTRIBUTE, cached)
    return cached


def chosen_company(request: HttpRequest) -> models.Company | None:
    """Return the company chosen in the session if the user may see it, else the user's first company."""
    return _companies_and_choice(request)[1]


def current_company(request: HttpRequest) -> dict[str, Any]:
    """Expose the user's companies and the one chosen in the session to every template."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    companies, chosen = _companies_and_choice(request)
    return {
        "user_companies": companies,
        "current_company": chosen,
        # Evaluated only by a template that asks (the audit log link).
        "may_read_audit": lambda: (
            chosen is not None
            and audit.companies_whose_audit_user_may_read(user).filter(pk=chosen.pk).exists()
        ),
    }
