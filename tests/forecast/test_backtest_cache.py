"""Backtests kept on disk: made once per lead table, arguments and code, read back equal;
anything that changes the result changes the key; 'off' keeps nothing; a file cut short is
made again; only the most recently used are kept."""

from __future__ import annotations

import dataclasses
import gc
import os
import threading
import time

import pandas as pd
import pytest
from conftest import SAMPLE

from funnelkit.crm.leads import read_export
from funnelkit.forecast import backtest_cache
from funnelkit.forecast.backtest import backtest
from funnelkit.forecast.backtest_cache import CACHE_ENV, cached_backtest, table_hash

SMALL = {"weeks": 8, "trials": 300}


@pytest.fixture(scope="module")
def sample():
    return read_export(SAMPLE)


@pytest.fixture
def made(monkeypatch, tmp_path):
    """The cache in a folder of the test's own; counts the backtests actually made."""
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "cache"))
    calls = []

    def counted(table, **arguments):
        calls.append(arguments)
        return backtest(table, **arguments)

    monkeypatch.setattr(backtest_cache, "backtest", counted)
    return calls


def test_a_backtest_is_made_once_and_read_back_equal(sample, made):
    first = cached_backtest(sample, **SMALL)
    again = cached_backtest(sample, **SMALL)
    assert len(made) == 1
    pd.testing.assert_frame_equal(again.forecasts, first.forecasts)
    assert (again.measures, again.skipped) == (first.measures, first.skipped)
    pd.testing.assert_frame_equal(again.forecasts, backtest(sample, **SMALL).forecasts)


def test_a_changed_lead_or_argument_or_program_is_a_new_backtest(sample, made, monkeypatch):
    cached_backtest(sample, **SMALL)
    leads = sample.leads.copy()
    leads.loc[10, "lead_at"] += pd.Timedelta(seconds=1)
    moved = dataclasses.replace(sample, leads=leads)
    assert table_hash(moved) != table_hash(sample)
    cached_backtest(moved, **SMALL)
    cached_backtest(sample, weeks=8, trials=301)
    monkeypatch.setattr(backtest_cache, "code_hash", lambda: "another program")
    cached_backtest(sample, **SMALL)
    assert len(made) == 4


def test_off_keeps_nothing(sample, made, monkeypatch, tmp_path):
    monkeypatch.setenv(CACHE_ENV, "off")
    cached_backtest(sample, **SMALL)
    cached_backtest(sample, **SMALL)
    assert len(made) == 2
    assert not (tmp_path / "cache").exists()


def test_a_file_cut_short_is_made_again_and_replaced(sample, made, tmp_path):
    first = cached_backtest(sample, **SMALL)
    (forecasts,) = (tmp_path / "cache").glob("*.parquet")
    forecasts.write_bytes(forecasts.read_bytes()[:100])
    again = cached_backtest(sample, **SMALL)
    assert len(made) == 2
    pd.testing.assert_frame_equal(again.forecasts, first.forecasts)
    cached_backtest(sample, **SMALL)
    assert len(made) == 2


def test_only_the_most_recently_used_are_kept(sample, made, monkeypatch, tmp_path):
    monkeypatch.setattr(backtest_cache, "KEPT", 2)
    for trials in (300, 301, 302):
        cached_backtest(sample, weeks=8, trials=trials)
    assert len(list((tmp_path / "cache").glob("*.json"))) == 2
    cached_backtest(sample, weeks=8, trials=300)  # the oldest was removed: made again
    assert len(made) == 4


def test_a_folder_that_cannot_be_written_warns_and_the_backtest_stands(
    sample, made, monkeypatch, tmp_path
):
    blocked = tmp_path / "a file"
    blocked.write_text("not a folder")
    monkeypatch.setenv(CACHE_ENV, str(blocked / "cache"))
    with pytest.warns(UserWarning, match="the backtest could not be kept"):
        result = cached_backtest(sample, **SMALL)
    pd.testing.assert_frame_equal(result.forecasts, backtest(sample, **SMALL).forecasts)


def test_a_hit_in_a_folder_only_to_read_is_still_a_hit(sample, made, monkeypatch):
    cached_backtest(sample, **SMALL)

    def refused(*args, **kwargs):
        raise PermissionError("read-only")

    monkeypatch.setattr(backtest_cache.os, "utime", refused)
    cached_backtest(sample, **SMALL)
    assert len(made) == 1


def test_a_library_s_version_is_part_of_the_key(sample, made, monkeypatch):
    cached_backtest(sample, **SMALL)
    real = backtest_cache.importlib.metadata.version
    monkeypatch.setattr(
        backtest_cache.importlib.metadata,
        "version",
        lambda name: "99.0" if name == "numpy" else real(name),
    )
    cached_backtest(sample, **SMALL)
    assert len(made) == 2


def test_without_its_sources_nothing_is_kept(sample, made, monkeypatch, tmp_path):
    monkeypatch.setattr(backtest_cache, "PACKAGE", tmp_path / "compiled only")
    cached_backtest(sample, **SMALL)
    cached_backtest(sample, **SMALL)
    assert len(made) == 2
    assert not (tmp_path / "cache").exists()


def test_pruning_removes_old_half_written_files_and_leaves_new_ones(sample, made, tmp_path):
    folder = tmp_path / "cache"
    folder.mkdir()
    old_orphan, new_orphan, old_temp, not_ours = (
        folder / "backtest-gone.parquet",
        folder / "backtest-writing.parquet",
        folder / ".backtest-abc.parquet",
        folder / "notes.txt",
    )
    for path in (old_orphan, new_orphan, old_temp, not_ours):
        path.write_bytes(b"x")
    long_ago = time.time() - 2 * backtest_cache.STALE_SECONDS
    for path in (old_orphan, old_temp, not_ours):
        os.utime(path, (long_ago, long_ago))
    cached_backtest(sample, **SMALL)
    assert not_ours.exists()  # a folder given in FUNNELKIT_CACHE may hold other files
    assert not old_orphan.exists()
    assert not old_temp.exists()
    assert new_orphan.exists()


def test_a_table_is_hashed_once_while_it_lives(sample, monkeypatch):
    hashed = []
    content_hash = backtest_cache._content_hash
    monkeypatch.setattr(
        backtest_cache, "_content_hash", lambda t: hashed.append(t) or content_hash(t)
    )
    table = dataclasses.replace(sample)
    assert table_hash(table) == table_hash(table) == content_hash(sample)
    assert len(hashed) == 1
    key = id(table)
    del table, hashed[:]
    gc.collect()
    assert key not in backtest_cache._HASHED


def test_asked_for_at_once_a_backtest_is_made_once(sample, made, monkeypatch):
    """Two renders of one export asking together (threads here; processes lock the same way):
    the second waits for the first's backtest and reads it."""
    making, counted = threading.Event(), backtest_cache.backtest

    def slow(table, **arguments):
        making.set()
        time.sleep(0.5)  # the other asks meanwhile
        return counted(table, **arguments)

    monkeypatch.setattr(backtest_cache, "backtest", slow)
    results = []
    first = threading.Thread(target=lambda: results.append(cached_backtest(sample, **SMALL)))
    first.start()
    making.wait()
    second = cached_backtest(sample, **SMALL)
    first.join()
    assert len(made) == 1
    pd.testing.assert_frame_equal(second.forecasts, results[0].forecasts)
