"""Type aliases shared by every layer: what a formula takes or gives (a number, or one per
stage or month) and what a day may be given as (parsed by `pd.Timestamp`)."""

from __future__ import annotations

import datetime as dt
from typing import TypeAlias

import numpy as np
import pandas as pd

Number: TypeAlias = "float | np.ndarray | pd.Series"
"""A scalar, or a vector of them (a numpy array or a pandas Series), element by element."""

DateLike: TypeAlias = "dt.date | pd.Timestamp | np.datetime64 | str"
"""A day or moment: a date or datetime, a Timestamp, a numpy datetime64 or an ISO string."""
