from typing import Any

from django.http import HttpRequest

SESSION_KEY = "current_company_id"


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
