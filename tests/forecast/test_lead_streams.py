"""Each open lead's own random numbers: the same for the same lead and seed whatever else is
drawn, different between leads and seeds, and uniform."""

from __future__ import annotations

import numpy as np

from funnelkit.forecast.lead_streams import id_hashes, lead_keys, uniform_pairs, uniforms


def test_a_lead_s_numbers_depend_on_its_id_and_the_seed_only():
    keys = lead_keys(np.array(["a", "b", 17]), seed=3)
    again = lead_keys(np.array([17, "x", "a"]), seed=3)
    assert keys[0] == again[2]
    assert keys[2] == again[0]
    assert len(set(keys.tolist())) == 3
    assert lead_keys(np.array(["a"]), seed=4)[0] != keys[0]
    counters = np.arange(5)
    np.testing.assert_array_equal(uniforms(keys[:1], 0, counters), uniforms(again[2:], 0, counters))
    assert not np.array_equal(uniforms(keys[:1], 0, counters), uniforms(keys[:1], 1, counters))


def test_the_numbers_are_uniform_and_unrelated():
    keys = lead_keys(np.arange(200), seed=0)
    u = uniforms(keys[:, None], 2, np.arange(500)[None, :]).ravel()
    assert ((u > 0) & (u <= 1)).all()
    counts, _ = np.histogram(u, bins=10, range=(0, 1))
    expected = len(u) / 10
    assert ((counts - expected) ** 2 / expected).sum() < 30  # chi² with 9 degrees: p ≈ 0.0005
    a, b = uniform_pairs(keys[:, None], 2, np.arange(500)[None, :])
    assert ((a > 0) & (a < 1) & (b > 0) & (b < 1)).all()
    assert abs(np.corrcoef(a.ravel(), b.ravel())[0, 1]) < 0.01
    assert abs(np.corrcoef(u[:-1], u[1:])[0, 1]) < 0.01  # neighbouring counters


def test_keys_from_hashes_made_once_are_the_same():
    ids = np.array(["a", 17, "b"], dtype=object)
    np.testing.assert_array_equal(lead_keys(ids, 5, id_hashes(ids)), lead_keys(ids, 5))
