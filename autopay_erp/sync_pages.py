"""The sync-state page: the company's poll (last poll, messages applied), "poll now", and the anomalies."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from autopay_erp import models, sync, tasks
from company import context_processors, tenancy


@login_required
def sync_state(request: HttpRequest) -> HttpResponse:
    company = context_processors.chosen_company(request)
    context = {}
    if company is not None:
        companies = tenancy.companies_for_user(request.user).filter(pk=company.pk)
        context = {
            "cursor": sync.cursors_of(companies=companies).first(),
            "anomalies": sync.anomalies_open(companies=companies)[:200],
            "anomaly_count": sync.anomalies_open(companies=companies).count(),
            "runs": models.SyncRun.objects.filter(company=company).order_by("-created_at")[:10],
        }
    return render(request, "autopay_erp/sync.html", context)


@login_required
@require_POST
def sync_now(request: HttpRequest) -> HttpResponse:
    company = context_processors.chosen_company(request)
    if company is None or not company.is_autopay_activated():
        messages.error(request, _("AutoPay is not activated for this company."))
        return HttpResponseRedirect(reverse("autopay-sync"))
    run = sync.sync_run_create(company=company, user=request.user, now=timezone.now())
    transaction.on_commit(
        lambda: tasks.poll_autopay.apply_async(
            kwargs={"company_id": company.pk}, task_id=run.task_id, queue="poll"
        )
    )
    messages.success(request, _("A poll of AutoPay is queued."))
    return HttpResponseRedirect(reverse("autopay-sync"))


@login_required
@require_POST
def anomaly_resolve(request: HttpRequest, anomaly_id: int) -> HttpResponse:
    anomaly = get_object_or_404(
        tenancy.scope_to_user(models.Anomaly.objects.all(), request.user), pk=anomaly_id
    )
    try:
        sync.anomaly_resolve(anomaly=anomaly, user=request.user, now=timezone.now())  # type: ignore[arg-type]
    except sync.AnomalyError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The anomaly is marked resolved."))
    return HttpResponseRedirect(reverse("autopay-sync"))
