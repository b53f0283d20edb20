import pytest

from autopay_client import statuses
from autopay_client.statuses import AutoPayStatus, ErpLineStatus

WIRE_TABLE = {
    "new": 2,
    "pending_signing": 2,
    "approved": 3,
    "sent_to_bank": 3,
    "accepted_by_bank": 3,
    "rejected_in_bank": 7,
    "cancelled": 4,
    "cancelled_in_bank": 4,
    "paid": 5,
    "error": 7,
}


@pytest.mark.parametrize(("code", "erp_status"), WIRE_TABLE.items())
def test_autopay_status_maps_to_the_erp_line_status_of_the_wire_contract(code, erp_status):
    assert statuses.erp_line_status(code) == erp_status


def test_every_autopay_status_is_mapped():
    assert set(statuses.ERP_LINE_STATUS) == set(AutoPayStatus)


def test_no_autopay_status_maps_to_proposal_or_posted():
    assert {ErpLineStatus.PROPOSAL, ErpLineStatus.POSTED}.isdisjoint(statuses.ERP_LINE_STATUS.values())


def test_unknown_status_is_an_error():
    with pytest.raises(ValueError, match="unknown AutoPay status"):
        statuses.erp_line_status("lost_in_the_post")


def test_mapping_cannot_be_changed_at_run_time():
    with pytest.raises(TypeError):
        statuses.ERP_LINE_STATUS[AutoPayStatus.PAID] = ErpLineStatus.REJECTED  # type: ignore[index]
