"""Backtests kept on disk between runs, so notebooks rendered from one export make each once.

A backtest forecasts up to 26 past weeks again (seconds on the sample, minutes on a million
leads), and depends only on the lead table, its own arguments and funnelkit's code. Every
notebook rendered from the same export (the quarterly plan, the monthly review, each plan of
a batch) asks for the same ones. `cached_backtest` keys a backtest by all three: the lead
table's content hashed, the arguments, and a hash of funnelkit's source files, so a changed
export, argument or program never meets an old result. Results are kept as Parquet (the
forecasts) and JSON (the rest) in the cache folder: $FUNNELKIT_CACHE, else
$XDG_CACHE_HOME/funnelkit, else ~/.cache/funnelkit. FUNNELKIT_CACHE=off keeps nothing. At
most KEPT backtests are kept, the least recently used removed first. A result that cannot be
read (a file cut short) is computed again and replaced; one that cannot be written (a folder
not writable) is used all the same, with a warning. Processes asking for the same backtest at
once (the plans of a batch on one export) make it once: the others wait for it.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import importlib.metadata
import json
import os
import sys
import tempfile
import time
import warnings
import weakref
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd

from funnelkit.crm.leads import LeadTable
from funnelkit.forecast.backtest import Backtest, backtest

CACHE_ENV = "FUNNELKIT_CACHE"
OFF = "off"
KEPT = 64  # backtests kept, at most (a few hundred kB each on the sample)
PACKAGE = Path(__file__).resolve().parent.parent
LIBRARIES = ("numpy", "pandas", "pyarrow", "duckdb", "ibis-framework")  # in a result's key
STALE_SECONDS = 3600  # a temporary file this old was left by a process that stopped
PREFIX = "backtest-"  # the names of the files kept here (temporary ones start with '.')
_HASHED: dict[int, str] = {}  # id of a lead table -> its `table_hash`, while the table lives


def cache_folder() -> Path | None:
    """Where backtests are kept; None when FUNNELKIT_CACHE is 'off'."""
    given = os.environ.get(CACHE_ENV, "")
    if given == OFF:
        return None
    if given:
        return Path(given)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "funnelkit"


def code_hash() -> str | None:
    """A hash of the program: funnelkit's own source files (read each time: a kernel may
    reload them), Python's version and the versions of the libraries the backtest computes
    with. None where the sources are not there to read (then nothing is kept)."""
    sources = sorted(PACKAGE.rglob("*.py"))
    if not sources:
        return None
    digest = hashlib.sha256(sys.version.encode())
    for library in LIBRARIES:
        digest.update(f"{library} {importlib.metadata.version(library)}".encode())
    for path in sources:
        digest.update(path.relative_to(PACKAGE).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def table_hash(table: LeadTable) -> str:
    """A hash of the lead table's content: every value, column, type and stage, and the
    moment it was taken. Worked out once per table (a table is not changed once made)."""
    known = _HASHED.get(id(table))
    if known is None:
        known = _HASHED[id(table)] = _content_hash(table)
        weakref.finalize(table, _HASHED.pop, id(table), None)
    return known


def _content_hash(table: LeadTable) -> str:
    leads = table.leads
    digest = hashlib.sha256(pd.util.hash_pandas_object(leads, index=False).to_numpy().tobytes())
    digest.update(repr([(c, str(t)) for c, t in leads.dtypes.items()]).encode())
    for column in leads.select_dtypes("category"):  # categories in their order
        digest.update(repr(list(leads[column].cat.categories)).encode())
    digest.update(repr((table.stages, str(table.as_of))).encode())
    return digest.hexdigest()


def cached_backtest(table: LeadTable, **arguments: Any) -> Backtest:
    """`backtest(table, **arguments)`, read from the cache folder when made before."""
    folder, program = cache_folder(), code_hash()
    if folder is None or program is None:
        return backtest(table, **arguments)
    key = hashlib.sha256(
        repr((table_hash(table), sorted(arguments.items()), program)).encode()
    ).hexdigest()
    forecasts, facts = folder / f"{PREFIX}{key}.parquet", folder / f"{PREFIX}{key}.json"
    kept = _read(forecasts, facts)
    if kept is not None:
        return kept
    with _alone(folder, key):
        kept = _read(forecasts, facts)  # made meanwhile by the process waited for
        if kept is not None:
            return kept
        result = backtest(table, **arguments)
        types = {str(c): str(t) for c, t in result.forecasts.dtypes.items()}
        facts_text = json.dumps(
            {"measures": list(result.measures), "skipped": result.skipped, "types": types}
        )
        try:  # the folder was made for the lock, if it could be
            _write(forecasts, lambda path: result.forecasts.to_parquet(path, index=False))
            _write(facts, lambda path: path.write_text(facts_text))
            _prune(folder)
        except OSError as err:  # the result stands; only the next run makes it again
            warnings.warn(f"{folder}: the backtest could not be kept ({err})", stacklevel=2)
    return result


def _read(forecasts: Path, facts: Path) -> Backtest | None:
    """The backtest kept in these files; None when not made yet or cut short."""
    try:
        known = json.loads(facts.read_text())
        frame = pd.read_parquet(forecasts).astype(known["types"])  # Parquet has no seconds
        result = Backtest(frame, tuple(known["measures"]), int(known["skipped"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None
    with contextlib.suppress(OSError):  # pruned meanwhile, or a folder only to read
        os.utime(facts)  # recently used
    return result


@contextlib.contextmanager
def _alone(folder: Path, key: str) -> Iterator[None]:
    """Held while backtest `key` is made: another process (or thread) asking for it meanwhile
    waits, then reads it, rather than making it too (e.g. two plans of a batch on one export).
    A folder that cannot be written has no lock, and nobody waits. The lock file stays (one
    removed could be waited on already) until `_prune` removes it as stale."""
    with contextlib.ExitStack() as stack:
        try:
            folder.mkdir(parents=True, exist_ok=True)
            lock = stack.enter_context(open(folder / f".{PREFIX}{key}.lock", "w"))
        except OSError:
            lock = None
        if lock is not None:
            fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file is closed
        yield


def _write(path: Path, save) -> None:
    """Save to a temporary file beside `path`, then rename: a reader never sees half a file."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{PREFIX}", suffix=path.suffix)
    os.close(handle)
    try:
        save(Path(temporary))
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.remove(temporary)


def _prune(folder: Path) -> None:
    """Keep the KEPT most recently used backtests; remove forecasts without their facts and
    temporary files left by a process that stopped."""
    used = {}
    for facts in folder.glob(f"{PREFIX}*.json"):
        with contextlib.suppress(OSError):  # removed by another process meanwhile
            used[facts] = facts.stat().st_mtime
    dropped = {p.stem for p in sorted(used, key=used.__getitem__, reverse=True)[KEPT:]}
    listed = {p.stem for p in used}
    now = time.time()
    for path in folder.iterdir():
        if not path.name.startswith((PREFIX, f".{PREFIX}")):
            continue  # not ours: a folder given in FUNNELKIT_CACHE may hold other files
        with contextlib.suppress(OSError):
            if path.stem in dropped:
                path.unlink()
            elif path.stem not in listed and now - path.stat().st_mtime > STALE_SECONDS:
                path.unlink()  # half written by a process that stopped, long ago
