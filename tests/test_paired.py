"""Paired what-if statistics: RMST, shares by a date, bootstrap intervals, the log-rank test."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tradetalks.experiments.paired import (
    first_deal_weeks,
    logrank,
    paired_bootstrap,
    rmst,
    share_by,
)

weeks_lists = st.lists(st.one_of(st.none(), st.integers(1, 52)), min_size=2, max_size=40)


def test_rmst_counts_runs_without_a_deal_at_tau():
    w = first_deal_weeks([10, None, 30])
    assert rmst(w, 52) == pytest.approx((10 + 52 + 30) / 3)
    assert rmst(w, 20) == pytest.approx((10 + 20 + 20) / 3)
    assert share_by(w, 30) == pytest.approx(2 / 3)


@settings(max_examples=50, deadline=None)
@given(weeks=weeks_lists, shift=st.integers(0, 10))
def test_later_deals_never_lower_rmst(weeks, shift):
    w = first_deal_weeks(weeks)
    assert rmst(w + shift, 52) >= rmst(w, 52)
    assert 0 <= rmst(w, 52) <= 52


def test_a_real_shift_is_detected_and_no_shift_is_not():
    rng = np.random.default_rng(0)
    base = rng.integers(5, 40, size=300).astype(float)
    later = base + 3
    eff = paired_bootstrap(base, later, lambda x: rmst(x, 52), rng)
    assert eff.estimate == pytest.approx(3.0) and eff.excludes(0.0)
    same = paired_bootstrap(base, base.copy(), lambda x: rmst(x, 52), rng)
    assert not same.excludes(0.0) and same.within(0.5)


def test_paired_arms_must_align():
    with pytest.raises(ValueError):
        paired_bootstrap(np.ones(3), np.ones(4), np.mean, np.random.default_rng(0))


def test_logrank_separates_different_curves_only():
    rng = np.random.default_rng(1)
    a = rng.exponential(10, 400)
    b = rng.exponential(20, 400)
    a[a > 52], b[b > 52] = np.inf, np.inf
    assert logrank(a, b)[1] < 0.01
    assert logrank(a, a.copy())[1] > 0.5
