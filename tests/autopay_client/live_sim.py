"""Helpers for tests that talk to the simulator served by this project, over HTTP through `live_server`.

The simulator is never imported: its company is created with its management command, called by name.
"""

import io

from django.core.management import call_command


def sim_company_register(*, org_no: str, name: str, account: str) -> str:
    """Create the company in the simulator and return the one-time activation code it prints."""
    out = io.StringIO()
    call_command("autopay_sim_company", "--org-no", org_no, "--name", name, "--account", account, stdout=out)
    printed = out.getvalue().strip()
    assert printed.startswith("activation_code: "), printed
    return printed.removeprefix("activation_code: ")


def sim_incoming_payments(*, org_no: str, count: int) -> None:
    """Have the simulated bank receive `count` incoming payments without KID for the company."""
    call_command(
        "autopay_sim_bank",
        "--incoming",
        "--org-no",
        org_no,
        "--without-kid",
        str(count),
        stdout=io.StringIO(),
    )
