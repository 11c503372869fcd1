"""The simulation's written-out draws are the generator's own, bit for bit.

``sandbox.timeline`` writes ``gauss``, ``expovariate`` and ``FastRandom``'s ``choice``,
``randint`` and ``choices`` out at its hot call sites (one Python call a draw instead of two).
A simulated day must not change for it (the truth files are pinned to digests), and a Python
whose ``random`` differed would change the days silently: these compare each written-out draw
with the method it replaces, on twin generators, interleaved with the methods themselves so the
Box-Muller pair kept in ``gauss_next`` is exercised both ways.
"""

from __future__ import annotations

import math
from bisect import bisect

import pytest

from sandbox import timeline
from sandbox.entities import CHANNELS, rng_for


def _reference_lognormal_ms(rng, mean_s, sigma, lo_s, hi_s):  # noqa: ANN001, ANN202
    """``_lognormal_ms`` as it was written before (``rng.gauss`` called)."""
    mu = math.log(mean_s) - sigma * sigma / 2
    x = math.exp(mu + sigma * rng.gauss(0.0, 1.0))
    return int(1000 * (lo_s if x < lo_s else hi_s if x > hi_s else x))


@pytest.mark.parametrize("seed", [0, 3, 42])
def test_lognormal_draws_equal_gauss(seed: int) -> None:
    ours, ref = rng_for(seed, "draws"), rng_for(seed, "draws")
    params = [(7, 0.4, 2, 25), (290, 0.7, 15, 5400), (45, 0.6, 3, 900), (2, 0.4, 1, 30)]
    got, want = [], []
    for i in range(3_000):
        mean_s, sigma, lo_s, hi_s = params[i % len(params)]
        got.append(timeline._lognormal_ms(ours, timeline._lognormal(mean_s, sigma, lo_s, hi_s)))
        want.append(_reference_lognormal_ms(ref, mean_s, sigma, lo_s, hi_s))
        if i % 7 == 0:  # the generator's own gauss between written-out ones
            got.append(ours.gauss(1.0, 0.04))
            want.append(ref.gauss(1.0, 0.04))
    assert got == want
    assert ours.getstate() == ref.getstate()
    assert ours.gauss_next == ref.gauss_next


def test_written_out_draws_equal_fast_random() -> None:
    ours, ref = rng_for(7, "draws"), rng_for(7, "draws")
    seq = ("a", "b", "c", "d", "e")
    cum = [0.5, 0.85, 1.0]
    for _ in range(2_000):
        assert seq[int(ours.random() * len(seq))] == ref.choice(seq)
        assert 900 + int(ours.random() * 1601) == ref.randint(900, 2500)
        assert 100 + int(ours.random() * 1_999_901) == ref.randint(100, 2_000_000)
        assert (
            min(2, bisect(cum, ours.random() * 1.0)) == ref.choices((0, 1, 2), cum_weights=cum)[0]
        )
    assert ours.getstate() == ref.getstate()


@pytest.mark.parametrize("channel", [ch for ch in CHANNELS if ch != "email"])
def test_patience_equals_expovariate(channel: str) -> None:
    means = {"telephony": (150.0, 1800.0), "chat": (300.0, 3600.0), "social": (1800.0, 14400.0)}
    short = {"telephony": 0.04, "chat": 0.03, "social": 0.01}
    mean, cap = means[channel]
    sim = timeline._DaySim.__new__(timeline._DaySim)
    sim.rng = rng_for(11, channel)
    ref = rng_for(11, channel)
    for _ in range(2_000):
        if ref.random() < short[channel]:
            want = ref.randint(500, timeline.SHORT_ABANDON_MS - 500)
        else:
            want = int(1000 * min(cap, 5 + ref.expovariate(1 / mean)))
        assert sim._patience(channel) == want
