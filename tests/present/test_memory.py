"""The rendering kernels' memory as exports grow: a kernel's peak resident memory on 50,000
and on 200,000 generated leads, read from the kernel process itself while `funnelkit render`
runs. Sizes are compared, never times."""

from __future__ import annotations

import pytest
from render_support import kernel_peaks, plan_on

from funnelkit.forecast.backtest_cache import CACHE_ENV

MB = 1024**2


@pytest.mark.render
@pytest.mark.slow
def test_kernel_memory_grows_less_than_the_export(tmp_path, monkeypatch):
    def peak(leads: int) -> int:
        # each export rendered with an empty backtest cache, so both kernels make their
        # backtests: a cache left warm by an earlier render of one size lowered its peak alone
        monkeypatch.setenv(CACHE_ENV, str(tmp_path / f"cache-{leads}"))
        return max(kernel_peaks(plan_on(leads, tmp_path), tmp_path / "reports")[0])

    small, large = peak(50_000), peak(200_000)
    assert large <= 4 * small  # 4× the leads: at most 4× the memory
    # and far less in fact: under 2 KB a lead more (it was about 20 KB a lead, for arrays per
    # lead and trial the forecast held)
    assert (large - small) / 150_000 < 2048, f"{small / MB:.0f} MB -> {large / MB:.0f} MB"
