"""Random numbers of an open lead's own, drawn for many leads at once.

Each lead has a key (a 64-bit hash of the seed and its id), and the uniform for a lead, a use
(`domain`) and a counter (e.g. a trial's index) is a hash of the three: SplitMix64's
finaliser, which turns consecutive counters into independent-looking 64-bit words. A lead's
numbers depend on nothing but its key, so adding a lead to the pipeline leaves every other
lead's draws as they were.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from pandas.api.extensions import ExtensionArray

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
_DOMAIN_SHIFT = np.uint64(40)  # counters below 2**40 never reach the next domain's


def _mix(x: np.ndarray) -> np.ndarray:
    """SplitMix64's finaliser on each 64-bit word (wrapping arithmetic), in place."""
    shifted = np.empty_like(x)
    with np.errstate(over="ignore"):
        for shift, factor in ((30, _MIX1), (27, _MIX2), (31, None)):
            np.right_shift(x, np.uint64(shift), out=shifted)
            np.bitwise_xor(x, shifted, out=x)
            if factor is not None:
                np.multiply(x, factor, out=x)
    return x


def id_hashes(ids: np.ndarray | ExtensionArray) -> np.ndarray:
    """A 64-bit hash of each lead id, as text (equal ids, equal hashes; 1001 and '1001' too)."""
    text = pd.Series(np.asarray(ids, dtype=object)).astype("string[pyarrow]")
    return pd.util.hash_pandas_object(text, index=False).to_numpy().astype(np.uint64)


def lead_keys(
    ids: np.ndarray | ExtensionArray, seed: int, hashes: np.ndarray | None = None
) -> np.ndarray:
    """One 64-bit key per lead id and seed; `hashes`: the ids' `id_hashes`, when known."""
    hashed = id_hashes(ids) if hashes is None else hashes
    with np.errstate(over="ignore"):
        return _mix(hashed ^ _mix(np.asarray([seed], dtype=np.uint64)))


def _words(keys: np.ndarray, domain: int, counters: np.ndarray) -> np.ndarray:
    """A 64-bit word per (key, counter) pair (arrays broadcast together); `domain` (0–255)
    separates a lead's uses, so each draws numbers of its own."""
    words = np.asarray(counters).astype(np.uint64)
    with np.errstate(over="ignore"):
        words += np.uint64(domain) << _DOMAIN_SHIFT
        words = np.multiply(words, _GOLDEN, out=words) + keys
    return _mix(words)


def uniforms(keys: np.ndarray, domain: int, counters: np.ndarray) -> np.ndarray:
    """Uniform numbers in (0, 1] with 53-bit resolution, one per (key, counter) pair."""
    return ((_words(keys, domain, counters) >> np.uint64(11)) + 1.0) * 2.0**-53


def uniform_pairs(
    keys: np.ndarray, domain: int, counters: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Two uniform numbers in (0, 1) with 32-bit resolution per (key, counter) pair, from the
    two halves of one word."""
    words = _words(keys, domain, counters)
    high = (words >> np.uint64(32)).astype(np.float64)
    low = np.bitwise_and(words, np.uint64(0xFFFFFFFF), out=words).astype(np.float64)
    for half in (high, low):
        half += 0.5
        half *= 2.0**-32
    return high, low
