import os
import pickle

import numpy as np
import pytest

from amigos_emo.io import CorpusFormatError
from amigos_emo.io.safe_pickle import UnsafePickleError, restricted_load, restricted_loads


@pytest.mark.parametrize("protocol", [0, 2, 4, 5])
def test_arrays_and_containers_round_trip(protocol):
    payload = {
        "data": np.random.default_rng(0).normal(size=(3, 4, 5)),
        "labels": np.arange(12, dtype=np.int16).reshape(3, 4),
        "nested": [1, 2.5, "x", (np.float64(3.0), None), {"k": b"bytes"}],
        "fortran": np.asfortranarray(np.ones((4, 3), dtype=np.float32)),
    }
    out = restricted_loads(pickle.dumps(payload, protocol=protocol))
    for key in ("data", "labels", "fortran"):
        np.testing.assert_array_equal(out[key], payload[key])
        assert out[key].dtype == payload[key].dtype
    assert out["nested"][4]["k"] == b"bytes"


class _Evil:
    def __reduce__(self):
        return (os.system, ("echo pwned > /tmp/amigos_emo_pwned",))


def test_malicious_pickle_is_refused_not_executed(tmp_path):
    path = tmp_path / "s01.dat"
    path.write_bytes(pickle.dumps({"data": _Evil()}, protocol=2))
    if os.path.exists("/tmp/amigos_emo_pwned"):
        os.remove("/tmp/amigos_emo_pwned")
    with pytest.raises(
        UnsafePickleError, match=r"s01\.dat.*refused to unpickle global (posix|os)\.system"
    ):
        restricted_load(path)
    assert not os.path.exists("/tmp/amigos_emo_pwned")


def test_truncated_pickle_names_source():
    data = pickle.dumps({"x": np.zeros(100)}, protocol=2)
    with pytest.raises(CorpusFormatError, match="s07.dat.*truncated or corrupt"):
        restricted_loads(data[:50], source="s07.dat")
