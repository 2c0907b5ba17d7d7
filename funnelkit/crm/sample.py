"""A realistic synthetic HubSpot contacts export, reproducible from a seed.

Leads arrive with seasonality over 18 months; sources differ in quality, owners in how fast
they follow up, deals in size. Stages happen with typical lags, and nothing after the export
date has happened yet, so recent cohorts are still immature. `faults=True` plants the few
data-quality problems a real export has (an impossible date, a word where a date belongs,
negative amounts, MQL dates before the create date, a repeated row, a row without an id), so
the quality report has something to show. `generate_costs` gives what each source cost a
month (cheap channels convert poorly, dear ones well). `python -m funnelkit.crm.sample` writes
the bundled `data/sample/hubspot-contacts.csv` and `data/sample/costs.csv`.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv

START = np.datetime64("2025-05-01T00:00", "m")
MONTHS = 18
EXPORTED = np.datetime64("2026-11-01T00:00", "m")  # the export's 'now'
DATE_FORMAT = "%Y-%m-%d %H:%M"
SAMPLE_PATH = Path("data/sample/hubspot-contacts.csv")
SAMPLE_LEADS = 4000
SAMPLE_SEED = 2026

# source: (share of leads, lead→MQL rate, MQL→SQL factor, deal size factor)
SOURCES = {
    "Organic Search": (0.30, 0.34, 1.00, 1.00),
    "Paid Search": (0.24, 0.30, 0.90, 0.90),
    "Email Marketing": (0.10, 0.40, 1.05, 0.95),
    "Paid Social": (0.14, 0.16, 0.75, 0.80),
    "Referrals": (0.07, 0.55, 1.30, 1.25),
    "Direct Traffic": (0.09, 0.30, 1.00, 1.00),
    "Offline Sources": (0.06, 0.50, 1.20, 1.40),
}
# owner: (median minutes to first touch, mean touches)
OWNERS = {
    "Avery Stone": (4, 7.5),
    "Blake Rivera": (9, 6.5),
    "Casey Nguyen": (25, 6.0),
    "Devon Patel": (70, 5.0),
    "Emery Cole": (240, 4.0),
    "Finley Brooks": (900, 3.0),
}
# source: cost per lead (money): cheap channels convert poorly, dear ones well
COST_PER_LEAD = {
    "Organic Search": 15.0,  # content and SEO
    "Paid Search": 60.0,
    "Email Marketing": 8.0,
    "Paid Social": 25.0,
    "Referrals": 120.0,  # referral fees
    "Direct Traffic": 5.0,
    "Offline Sources": 260.0,  # trade shows and events
}
COSTS_PATH = Path("data/sample/costs.csv")
SQL_RATE, OPPORTUNITY_RATE, WIN_RATE = 0.42, 0.55, 0.30
MEAN_DAYS = {"mql": 6.0, "sql": 9.0, "opportunity": 14.0, "won": 40.0}
DEAL_SIZE = 11_000.0  # median deal, money
LIFECYCLE = ["Lead", "Marketing Qualified Lead", "Sales Qualified Lead", "Opportunity", "Customer"]
COLUMNS = {
    "Record ID": "id",
    "Create Date": "lead",
    "Became a Marketing Qualified Lead Date": "mql",
    "Became a Sales Qualified Lead Date": "sql",
    "Became an Opportunity Date": "opportunity",
    "Became a Customer Date": "won",
}


def _seasonal_months(rng: np.random.Generator, n: int) -> np.ndarray:
    """Month offsets 0–17 for n leads: growth, a December dip, a September peak."""
    months = np.arange(MONTHS)
    calendar = (months + 4) % 12  # 0 = January; the sample starts in May
    weight = (1 + 0.02 * months) * (
        1 + 0.25 * (calendar == 8) - 0.35 * (calendar == 11) - 0.15 * (calendar == 7)
    )
    return rng.choice(months, size=n, p=weight / weight.sum())


def generate_leads(n: int, seed: int, faults: bool = False) -> pd.DataFrame:
    """A HubSpot-style contacts export of `n` leads, as typed columns (times, numbers)."""
    rng = np.random.default_rng(seed)
    month = _seasonal_months(rng, n)
    month_start = (START.astype("datetime64[M]") + month).astype("datetime64[m]")
    days_in_month = (
        (month_start.astype("datetime64[M]") + 1).astype("datetime64[m]") - month_start
    ).astype(int)
    created = month_start + (rng.random(n) * days_in_month).astype("timedelta64[m]")
    names = list(SOURCES)
    share, mql_rate, sql_factor, size_factor = (
        np.array(v) for v in zip(*SOURCES.values(), strict=True)
    )
    source = rng.choice(len(names), size=n, p=share / share.sum())
    times = {"lead": created}
    reached = np.ones(n, dtype=bool)
    rates = {
        "mql": mql_rate[source],
        "sql": np.minimum(SQL_RATE * sql_factor[source], 1),
        "opportunity": np.full(n, OPPORTUNITY_RATE),
        "won": np.minimum(WIN_RATE * sql_factor[source], 1),
    }
    previous = created
    for stage, mean_days in MEAN_DAYS.items():
        lag = rng.gamma(2.0, mean_days / 2.0, n) * 1440
        at = previous + lag.astype("timedelta64[m]")
        reached = reached & (rng.random(n) < rates[stage]) & (at <= EXPORTED)
        times[stage] = np.where(reached, at, np.datetime64("NaT"))
        previous = at
    owner_names = list(OWNERS)
    owner = rng.integers(0, len(owner_names), n)
    median_minutes, mean_touches = (np.array(v) for v in zip(*OWNERS.values(), strict=True))
    mql = ~np.isnat(times["mql"])
    response = median_minutes[owner] * rng.lognormal(0.0, 0.8, n)
    first_touch = times["mql"] + response.astype("timedelta64[m]")
    touched = mql & (rng.random(n) > 0.04) & (first_touch <= EXPORTED)
    won = ~np.isnat(times["won"])
    opportunity = ~np.isnat(times["opportunity"])
    closed_lost = (
        opportunity
        & ~won
        & (times["opportunity"] + np.timedelta64(60, "D") < EXPORTED)
        & (rng.random(n) < 0.85)
    )
    stage_index = sum(
        (~np.isnat(times[s])).astype(int) for s in ("mql", "sql", "opportunity", "won")
    )
    status = np.select(
        [won, closed_lost, opportunity, ~mql & (created < EXPORTED - np.timedelta64(30, "D"))],
        ["", "Unqualified", "Open Deal", "Unqualified"],
        default="Attempted to Contact",
    )
    status = np.where(
        (status == "Attempted to Contact") & mql & (rng.random(n) < 0.5), "Connected", status
    )
    frame = pd.DataFrame({"Record ID": np.arange(1001, 1001 + n)})
    for column, stage in list(COLUMNS.items())[1:]:
        frame[column] = times[stage]
    frame["Lifecycle Stage"] = np.array(LIFECYCLE)[stage_index]
    frame["Lead Status"] = status
    frame["Original Source"] = np.array(names)[source]
    frame["Contact owner"] = np.where(mql, np.array(owner_names)[owner], "")
    frame["Date of first engagement"] = np.where(touched, first_touch, np.datetime64("NaT"))
    frame["Lead response time"] = np.where(touched, np.round(response * 60_000), np.nan)
    frame["Number of Sales Activities"] = np.where(mql, rng.poisson(mean_touches[owner]), np.nan)
    amount = np.round(DEAL_SIZE * size_factor[source] * rng.lognormal(0.0, 0.6, n), -1)
    frame["Recent Deal Amount"] = np.where(won, amount, np.nan)
    frame["Recent Deal Close Date"] = times["won"]
    return _plant_faults(frame, rng) if faults else frame


def generate_costs(frame: pd.DataFrame, seed: int) -> pd.DataFrame:
    """A costs file for an export from `generate_leads` (without faults: its dates are dates):
    each source's spend a month is its
    COST_PER_LEAD times the leads it brought that month, give or take 10 %."""
    rng = np.random.default_rng(seed)
    months = frame["Create Date"].to_numpy().astype("datetime64[M]")
    counts = (
        pd.DataFrame({"month": months, "channel": frame["Original Source"]})
        .dropna()
        .value_counts()
        .sort_index()
    )
    month_of = counts.index.get_level_values("month")
    channel_of = counts.index.get_level_values("channel")
    spend = [
        COST_PER_LEAD[c] * n * rng.lognormal(0.0, 0.1)
        for c, n in zip(channel_of, counts.to_numpy(), strict=True)
    ]
    return pd.DataFrame(
        {
            "month": [str(m)[:7] for m in month_of],
            "channel": list(channel_of),
            "spend": np.round(spend, 2),
        }
    )


def _plant_faults(frame: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Plant a few realistic faults; they are returned as text, like an export's cells."""
    text = to_text(frame)
    n = len(text)
    pick = rng.choice(n, size=12, replace=False)
    mql_rows = np.flatnonzero(text["Became a Marketing Qualified Lead Date"].to_numpy() != "")
    for row in mql_rows[3:7]:  # an MQL date a day before the lead was created
        created = pd.Timestamp(text.loc[row, "Create Date"])
        text.loc[row, "Became a Marketing Qualified Lead Date"] = (
            created - pd.Timedelta(days=1)
        ).strftime(DATE_FORMAT)
    text.loc[pick[0], "Create Date"] = "2026-02-30 10:15"  # an impossible date
    text.loc[pick[1], "Became a Sales Qualified Lead Date"] = "last week"
    won_rows = np.flatnonzero(text["Recent Deal Amount"].to_numpy() != "")
    for row in won_rows[:2]:
        text.loc[row, "Recent Deal Amount"] = "-" + text.loc[row, "Recent Deal Amount"]
    text.loc[pick[2], "Record ID"] = ""
    repeated = text.iloc[[pick[3]]]
    return pd.concat([text, repeated], ignore_index=True)


def to_text(frame: pd.DataFrame) -> pd.DataFrame:
    """Every column as the export's text: times as 'YYYY-MM-DD HH:MM', whole numbers plain."""
    out = {}
    for column in frame.columns:
        values = frame[column]
        if values.dtype.kind == "M":
            arr = pa.array(values.to_numpy().astype("datetime64[s]"))
            out[column] = pc.fill_null(pc.strftime(arr, format=DATE_FORMAT), "").to_numpy(
                zero_copy_only=False
            )
        elif values.dtype.kind == "f":
            out[column] = np.where(
                np.isnan(values),
                "",
                np.char.mod("%d", np.nan_to_num(values).astype(np.int64)).astype(object),
            )
        else:
            out[column] = values.astype(str).to_numpy()
    return pd.DataFrame(out)


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    """Write an export as CSV text (CRLF line endings, as CRMs write them)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text = frame if all(frame[c].dtype == object for c in frame) else to_text(frame)
    pcsv.write_csv(
        pa.Table.from_pandas(text.astype(str), preserve_index=False),
        path,
        pcsv.WriteOptions(quoting_style="needed", eol="\r\n"),
    )


def write_costs(costs: pd.DataFrame, path: Path) -> None:
    """Write a costs file as CSV (CRLF line endings, as spreadsheets write them)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    costs.to_csv(path, index=False, lineterminator="\r\n")


def main() -> None:
    """Write the bundled sample export (or another size and seed)."""
    parser = argparse.ArgumentParser(description="Write a synthetic HubSpot contacts export.")
    parser.add_argument("--leads", type=int, default=SAMPLE_LEADS)
    parser.add_argument("--seed", type=int, default=SAMPLE_SEED)
    parser.add_argument("--out", type=Path, default=SAMPLE_PATH)
    parser.add_argument("--costs-out", type=Path, default=COSTS_PATH)
    args = parser.parse_args()
    write_csv(generate_leads(args.leads, args.seed, faults=True), args.out)
    clean = generate_leads(args.leads, args.seed)  # the same leads, without the faults
    write_costs(generate_costs(clean, args.seed), args.costs_out)
    print(f"wrote {args.out} and {args.costs_out}")


if __name__ == "__main__":
    main()
