"""The seed's DE + LDS pipeline in bench/bench_features.py (loop DE + pykalman) equals the package.

Skipped without pykalman (the ``bench`` extra).
"""

import importlib.util
import pathlib

import numpy as np
import pytest

pytest.importorskip("pykalman")

from amigos_emo.signal.features import de_sequence  # noqa: E402

BENCH = pathlib.Path(__file__).resolve().parents[2] / "bench" / "bench_features.py"


def _bench_features():
    spec = importlib.util.spec_from_file_location("bench_features_seed", BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("window_s,n_chans", [(4.0, 3), (1.0, 2)])
def test_seed_pipeline_equals_de_sequence(window_s, n_chans):
    sfreq = 200.0
    trial = np.random.default_rng(n_chans).normal(scale=20.0, size=(int(12 * sfreq), n_chans))
    n_windows = int(12 / window_s)
    expected = _bench_features().seed_pipeline(trial, sfreq, int(window_s * sfreq))
    got, n_valid = de_sequence(trial, sfreq, window_s=window_s, n_steps=n_windows)
    assert n_valid == n_windows and expected.shape == got.shape
    # float32 output: about 1e-7 relative on DE values of 4-8 nats.
    np.testing.assert_allclose(got, expected, rtol=3e-7, atol=1e-6)
