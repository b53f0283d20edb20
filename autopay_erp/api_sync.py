"""`POST /api/sync/` enqueues a poll of one of the user's companies; `GET /api/sync/<id>/` says how it went.

The run's state is kept in the database (no Celery result backend is needed): queued, running, done, failed.
"""

import uuid
from typing import Any

from django.db import transaction
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import exceptions, permissions, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from autopay_erp import models, sync, tasks
from company import tenancy


class SyncRequestSerializer(serializers.Serializer):
    company = serializers.IntegerField(min_value=1)


class SyncRunSerializer(serializers.ModelSerializer):
    id = serializers.CharField(source="task_id")

    class Meta:
        model = models.SyncRun
        fields = [
            "id",
            "company",
            "state",
            "messages_applied",
            "anomalies",
            "detail",
            "created_at",
            "started_at",
            "finished_at",
        ]


ERROR_SCHEMA = inline_serializer(
    "SyncError", fields={"error": serializers.CharField(), "detail": serializers.CharField()}
)


class SyncRequestView(APIView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        request=SyncRequestSerializer,
        responses={
            202: inline_serializer("SyncQueued", fields={"id": serializers.CharField()}),
        },
        summary="Poll AutoPay now for a company (enqueued); answers the task id",
    )
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        given = SyncRequestSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        companies = tenancy.companies_for_user(request.user)
        company = companies.filter(pk=given.validated_data["company"]).first()
        if company is None:
            return Response({"error": "not_found", "detail": gettext("No such company.")}, status=400)
        if not company.is_autopay_activated():
            return Response(
                {"error": "not_activated", "detail": gettext("AutoPay is not activated for this company.")},
                status=400,
            )
        run = sync.sync_run_create(company=company, user=request.user, now=timezone.now())
        transaction.on_commit(
            lambda: tasks.poll_autopay.apply_async(
                kwargs={"company_id": company.pk}, task_id=run.task_id, queue="poll"
            )
        )
        return Response({"id": run.task_id}, status=status.HTTP_202_ACCEPTED)


class SyncStateView(APIView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(responses={200: SyncRunSerializer}, summary="The state of a requested poll")
    def get(self, request: Request, task_id: str, *args: Any, **kwargs: Any) -> Response:
        try:
            uuid.UUID(task_id)  # every id answered is one; anything else (a NUL byte too) is none of them
        except ValueError:
            raise exceptions.NotFound() from None
        run = get_object_or_404(
            tenancy.scope_to_user(models.SyncRun.objects.all(), request.user), task_id=task_id
        )
        return Response(SyncRunSerializer(run).data)
