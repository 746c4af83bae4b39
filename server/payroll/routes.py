"""Payroll routes (docs/rules.md §13): batches, their files, and the pay settings."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response, status
from pydantic import BaseModel, ConfigDict

from models.contract import BatchesPublic, BatchPublic, BatchTotals
from models.payroll import PaySettings
from models.schemas import Period
from server.deps import Admin, DbDep, PayrollOrAdmin, PayrollUser
from server.payroll import service
from server.payroll.service import ExportFormat
from server.payroll.tables import PayrollBatchRow

router = APIRouter(prefix="/api/v1/payroll", tags=["payroll"])


class BatchCreate(BaseModel):
    """Pay what is approved; `period` (YYYY-MM) limits it to one pay period."""

    model_config = ConfigDict(extra="forbid")
    period: Period | None = None


def _public(batch: PayrollBatchRow) -> BatchPublic:
    return BatchPublic(
        id=batch.id,
        number=batch.number,
        created_at=batch.created_at,
        created_by=batch.created_by,
        period=batch.period,
        entry_count=batch.entry_count,
        totals=BatchTotals.model_validate(batch.totals),
    )


@router.post(
    "/batches",
    status_code=status.HTTP_201_CREATED,
    responses={409: {"description": "nothing approved is left to pay"}},
)
def create_batch(actor: PayrollUser, db: DbDep, body: BatchCreate | None = None) -> BatchPublic:
    period = body.period if body else None
    return _public(service.make_batch(db, actor=actor, period=period))


@router.get("/batches")
def list_batches(actor: PayrollUser, db: DbDep) -> BatchesPublic:
    batches = [_public(batch) for batch in service.list_batches(db)]
    return BatchesPublic(data=batches, count=len(batches))


@router.get("/batches/{batch_id}")
def get_batch(batch_id: str, actor: PayrollUser, db: DbDep) -> BatchPublic:
    return _public(service.get_batch(db, batch_id=batch_id))


@router.get(
    "/batches/{batch_id}/export",
    response_class=Response,
    responses={200: {"description": "the file", "content": {"application/octet-stream": {}}}},
)
def export_batch(
    batch_id: str,
    actor: PayrollUser,
    db: DbDep,
    format: Annotated[ExportFormat, Query()] = ExportFormat.csv,
) -> Response:
    file = service.export_batch(db, actor=actor, batch_id=batch_id, fmt=format)
    return Response(
        content=file.content,
        media_type=file.media_type,
        headers={"Content-Disposition": f'attachment; filename="{file.filename}"'},
    )


@router.get("/settings")
def read_settings(actor: PayrollOrAdmin, db: DbDep) -> PaySettings:
    return service.pay_settings(db)


@router.put("/settings")
def write_settings(body: PaySettings, actor: Admin, db: DbDep) -> PaySettings:
    return service.save_pay_settings(db, actor=actor, settings=body)
