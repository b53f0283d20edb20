from typing import Any

from django.http import HttpRequest

from company import models

SESSION_KEY = "current_company_id"


def chosen_company(request: HttpRequest) -> models.Company | None:
    """Return the company chosen in the session if the user may see it, else the user's first company."""
    from company import tenancy

    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return None
    companies = tenancy.companies_for_user(user)
    chosen_id = request.session.get(SESSION_KEY)
    chosen = companies.filter(pk=chosen_id).first() if chosen_id is not None else None
    return chosen or companies.first()


def current_company(request: HttpRequest) -> dict[str, Any]:
    """Expose the user's companies and the one chosen in the session to every template."""
    from company import tenancy

    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    companies = list(tenancy.companies_for_user(user))
    chosen_id = request.session.get(SESSION_KEY)
    chosen = next((c for c in companies if c.pk == chosen_id), companies[0] if companies else None)
    return {"user_companies": companies, "current_company": chosen}
