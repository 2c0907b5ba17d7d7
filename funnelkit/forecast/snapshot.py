"""What a forecast reads of a lead table, as arrays, and the table as it stood on a past day.

A `Snapshot` holds the few columns a forecast reads (ids, the stage times, the stages each
lead reached, whether it is won or open, the deal amounts) as numpy arrays, taken once from a
lead table (`snapshot`). `Snapshot.on(day)` is the table as known at the end of a past day,
made by masking those arrays: a backtest forecasts from dozens of past days, and the columns
no forecast reads are never copied for them. `backtest.known_on` gives such a day as a whole
lead table (with the stage and outcome columns it implies).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import pandas as pd
from pandas.api.extensions import ExtensionArray

from funnelkit.core.exceptions import InputError
from funnelkit.core.types import DateLike
from funnelkit.crm.fields import ID
from funnelkit.crm.leads import LeadTable
from funnelkit.forecast.lead_streams import id_hashes

_KEPT = "_forecast_snapshot"  # where a lead table keeps its snapshot
_NAT_MONTH = np.iinfo(np.int32).min  # `month_codes` of NaT


def month_codes(times: np.ndarray) -> np.ndarray:
    """Each time's month, as months since January 1970 (`_NAT_MONTH` where NaT)."""
    months = times.astype("datetime64[M]")
    return np.where(np.isnat(months), _NAT_MONTH, months.astype(np.int64)).astype(np.int32)


def month_code(time: pd.Timestamp) -> int:
    """The time's month, as months since January 1970."""
    return (time.year - 1970) * 12 + time.month - 1


def instant(when: DateLike) -> np.datetime64:
    """A time without a zone as numpy's, in its own precision (numpy's own conversion stops at
    microseconds)."""
    time = pd.Timestamp(when)
    if time.tzinfo is not None:
        raise InputError(f"a time without a zone is needed, as the lead table's (got {time})")
    return time.to_datetime64()


@dataclass(frozen=True, eq=False)
class Snapshot:
    """A lead table's columns a forecast reads, a row per lead."""

    source: str  # the file or table read
    stages: tuple[str, ...]
    taken_at: pd.Timestamp | None  # what 'now' was (`LeadTable.as_of`); None: no dates held
    ids: np.ndarray | ExtensionArray  # (leads,): the lead table's own array of ids, not copied
    times: np.ndarray  # (leads, stages): the time each stage was entered, NaT where none
    months: np.ndarray  # (leads, stages): each time's `month_codes`
    reached: np.ndarray  # (leads, stages): whether each stage was reached (`LeadTable.reached`)
    won: np.ndarray  # (leads,): won (the outcome; without outcomes, reached the last stage)
    open: np.ndarray  # (leads,): neither won nor lost (without outcomes, every lead)
    amount: np.ndarray | None  # (leads,): the deal amount (money), NaN where none; None: none
    outcomes: bool  # whether the table records outcomes
    hashes: np.ndarray | None = None  # (leads,): the ids' `lead_streams.id_hashes`, when made

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def as_of(self) -> pd.Timestamp:
        """What 'now' was when the table was taken."""
        if self.taken_at is None:
            raise InputError(f"{self.source}: no lead has a date, so nothing can be forecast")
        return self.taken_at

    @property
    def created(self) -> np.ndarray:
        """Each lead's time of entering the first stage, NaT where none."""
        return self.times[:, 0]

    @property
    def won_at(self) -> np.ndarray:
        """Each lead's time of entering the last stage, NaT where none."""
        return self.times[:, -1]

    def with_hashes(self) -> Snapshot:
        """The snapshot with its ids hashed, so snapshots cut from it need not hash them."""
        return dataclasses.replace(self, hashes=id_hashes(self.ids))

    def counted(self) -> Snapshot:
        """The snapshot with each won deal's amount 1, so revenue counts customers."""
        return dataclasses.replace(self, amount=np.where(self.won, 1.0, np.nan))

    def on(self, day: DateLike) -> Snapshot:
        """The table as it stood at the end of `day`: the leads created by then, the stage
        times up to then, and won deals (with their amounts) closed by then. Every lead not
        yet won is open: the export does not record when a lead was lost."""
        cut = pd.Timestamp(day).normalize() + pd.Timedelta(days=1)
        end = instant(cut)
        rows = self.created < end  # NaT compares False
        times, months = self.times[rows], self.months[rows]
        later = times >= end
        times[later], months[later] = np.datetime64("NaT"), _NAT_MONTH
        # every lead kept has its first stage's time, so every lead reached the first stage
        reached = np.logical_or.accumulate(~np.isnat(times)[:, ::-1], axis=1)[:, ::-1]
        won = reached[:, -1].copy()
        amount = None if self.amount is None else np.where(won, self.amount[rows], np.nan)
        return Snapshot(
            source=self.source,
            stages=self.stages,
            taken_at=cut - pd.Timedelta(seconds=1),
            ids=self.ids[rows],
            times=times,
            months=months,
            reached=reached,
            won=won,
            open=~won,
            amount=amount,
            outcomes=True,
            hashes=None if self.hashes is None else self.hashes[rows],
        )


def snapshot(table: LeadTable | Snapshot) -> Snapshot:
    """The columns of `table` a forecast reads; a snapshot is given back as it is. Taken once
    per lead table (which, like its `reached`, is not to be changed)."""
    if isinstance(table, Snapshot):
        return table
    kept = table.__dict__.get(_KEPT)
    if kept is None:
        leads = table.leads
        reached = table.reached().to_numpy()
        outcomes = "outcome" in leads
        times = np.stack([leads[c].to_numpy() for c in table.stage_columns], axis=1)
        kept = Snapshot(
            source=table.source,
            stages=table.stages,
            taken_at=(
                None if table.taken_at is None and table.latest_event is None else table.as_of
            ),
            ids=leads[ID].array,
            times=times,
            months=month_codes(times),
            reached=reached,
            won=(leads["outcome"] == "won").to_numpy() if outcomes else reached[:, -1],
            open=(leads["outcome"] == "open").to_numpy() if outcomes else np.ones(len(leads), bool),
            amount=leads["amount"].to_numpy(float) if "amount" in leads else None,
            outcomes=outcomes,
        )
        table.__dict__[_KEPT] = kept
    return kept
