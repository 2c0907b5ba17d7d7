"""The lead table's vocabulary: its canonical columns, their kinds, and the outcomes.

Every CRM export is mapped onto these names. Stage times are columns named
``<stage>_at`` (``lead_at``, ``mql_at``, …), one per configured stage; the first stage's time
is when the lead was created.
"""

from __future__ import annotations

from collections.abc import Sequence

ID = "lead_id"
ROW = "row_position"  # each lead's position (0, 1, …), added where the measures run
OUTCOMES: tuple[str, ...] = ("won", "lost", "open")

# canonical field -> kind; kinds decide how a column is parsed
FIELDS: dict[str, str] = {
    ID: "id",
    "source": "text",  # original source or channel
    "owner": "text",  # who follows the lead up (e.g. the SDR)
    "account_owner": "text",  # who works the deal (e.g. the account executive)
    "status": "text",  # the CRM's lead status, as exported
    "stage": "stage",  # the stage the lead is at now (mapped to a stage name)
    "assigned_at": "time",  # when the lead was assigned to its owner
    "first_touch_at": "time",  # first sales touch (call, email, meeting)
    "response_time": "duration",  # time from assignment to first touch, as exported
    "touches": "count",  # number of sales touches
    "amount": "money",  # deal amount
    "close_date": "time",  # when the deal closed
    "outcome": "outcome",  # won / lost / open
}


def stage_field(stage: str) -> str:
    """The lead table column holding when a lead reached `stage`, e.g. 'mql_at'."""
    return f"{stage}_at"


def field_kind(field: str) -> str:
    """How a mapped field is parsed: its kind in FIELDS, 'time' for a stage's time
    ('mql_at'), else 'attribute'."""
    if field.endswith("_at") and field not in FIELDS:
        return "time"
    return FIELDS.get(field, "attribute")


def unused_prefix(names: Sequence[str], start: str) -> str:
    """`start`, with '_' before it as often as needed for none of `names` to begin with it in
    any case (SQL ignores case): the start of names funnelkit gives columns of its own beside
    a table's, whose columns and attributes may be named anything."""
    taken = [n.lower() for n in names]
    prefix = start
    while any(n.startswith(prefix) for n in taken):
        prefix = f"_{prefix}"
    return prefix
