"""Tests of amigos_emo.io.integrity: finite float32 samples, rating scales, label codes, skip counts."""

import logging

import numpy as np
import pytest

from amigos_emo._logging import logger
from amigos_emo.io.integrity import (
    LabelScaleError,
    NonFiniteError,
    SkipCounter,
    check_codes,
    check_scale,
    finite_float32,
)


def test_finite_float32_casts_and_refuses_nan_inf_and_overflow():
    rng = np.random.default_rng(0)
    values = rng.normal(size=(50, 3))
    out = finite_float32(values, "f.mat", field="trial 1", modality="EEG")
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, values.astype(np.float32))
    for bad, text in (
        (np.nan, "1 NaN"),
        (np.inf, "1 infinite"),
        (-1e39, "1 infinite or beyond float32"),
    ):
        corrupt = values.copy()
        corrupt[7, 2] = bad
        with pytest.raises(
            NonFiniteError, match=rf"f\.mat: trial 1: EEG holds non-finite.*{text}.*index \(7, 2\)"
        ):
            finite_float32(corrupt, "f.mat", field="trial 1", modality="EEG")
    # Just inside float32's range is accepted.
    edge = np.array([np.finfo(np.float32).max], np.float64)
    assert np.isfinite(finite_float32(edge, "f")).all()


@pytest.mark.parametrize("value", [0.0, 10.0, -3.0, np.nan, np.inf])
def test_check_scale_refuses_values_off_the_scale(value):
    with pytest.raises(
        LabelScaleError,
        match=r"p: labels: valence is outside the corpus's scale\. Expected a value in \[1, 9\]",
    ):
        check_scale([5.0, value], (1, 9), "p", field="labels", names=("arousal", "valence"))
    np.testing.assert_array_equal(check_scale([1, 9, 5.5], (1, 9), "p"), [1.0, 9.0, 5.5])


def test_check_codes_against_a_slow_reference():
    rng = np.random.default_rng(1)
    allowed = (-1, 0, 1)
    for _ in range(20):
        codes = rng.integers(-3, 4, size=6)
        reference_ok = all(int(c) in allowed for c in codes)
        if reference_ok:
            np.testing.assert_array_equal(check_codes(codes, allowed, "label.mat"), codes)
        else:
            first_bad = next(int(c) for c in codes if int(c) not in allowed)
            with pytest.raises(
                LabelScaleError,
                match=rf"label code outside.*Expected one of -1, 0, 1\. Found {first_bad}\.",
            ):
                check_codes(codes, allowed, "label.mat")
    with pytest.raises(
        LabelScaleError, match=r"Expected one of 0 \(neutral\), 1 \(sad\).*Found 2\.5"
    ):
        check_codes([0, 2.5], range(2), "x", names=("neutral", "sad"))
    with pytest.raises(LabelScaleError, match="Found nan"):
        check_codes([np.nan], range(2), "x")


def test_skip_counter_counts_and_warns_once_with_trials(caplog):
    skips = SkipCounter("P01.mat")
    skips.skip("empty joined_data", where=8)
    skips.skip("empty joined_data", where=9)
    skips.skip(
        NonFiniteError("P01.mat", "EEG holds non-finite samples", field="joined_data{5}"), where=5
    )
    logger.propagate, before = True, logger.propagate
    try:
        with caplog.at_level(logging.WARNING, logger=logger.name):
            assert skips.report() == {"empty joined_data": 2, "NonFiniteError": 1}
    finally:
        logger.propagate = before
    messages = sorted(
        {r.getMessage() for r in caplog.records}
    )  # one warning (however many handlers)
    assert len(messages) == 1
    assert (
        "P01.mat: skipped 3 trial(s) (1 NonFiniteError: trials [5]; 2 empty joined_data: trials [8, 9])"
        in messages[0]
    )
    assert "joined_data{5}: EEG holds non-finite samples. No label is made up" in messages[0]
    assert SkipCounter("x").report() == {}
