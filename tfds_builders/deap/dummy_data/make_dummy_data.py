"""Write the DEAP dummy data in the corpus's real on-disk format (run once; output is committed).

    python tfds_builders/deap/dummy_data/make_dummy_data.py

Layout written (the real release's folder names, trimmed to fit in ~300 KB):

- ``data_preprocessed_python/s01.dat``: a genuine **Python-2** pickle (see :func:`py2_pickle_dumps`)
  of ``{'data': (2, 40, 896), 'labels': (2, 4)}``: 2 trials of 3 s baseline + 4 s stimulus.
  The real files hold float64 ``(40, 40, 8064)``; the dummy stores float32 to stay small (the
  builder casts to float32 either way; the tests also build a float64 pickle).
- ``data_preprocessed_matlab/s02.mat``: the MATLAB release's ``data``/``labels`` for subject 2
  only (no ``s02.dat``), so the builder's fall-back to MATLAB is exercised; 1 trial.

Signals: sines of a few Hz plus noise, rounded to 1/2 microvolt (so the compressed MATLAB file
stays small); ratings chosen so both trials of s01 fall in different quadrants and one rating
sits exactly on the 5.0 threshold.
"""

from __future__ import annotations

import pathlib
import pickle
import struct

import numpy as np
import scipy.io

HERE = pathlib.Path(__file__).resolve().parent
N_CHANNELS = 40
N_SAMPLES = 384 + 4 * 128  # 3 s baseline + 4 s stimulus


# --- A hand-written Python-2 pickle writer -------------------------------------------------------
# Python 2's cPickle (protocol 2) stores a NumPy array as
#   numpy.core.multiarray._reconstruct(numpy.ndarray, (0,), 'b')  then BUILD with the state
#   (1, shape, dtype, is_fortran, raw_bytes)
# where ``raw_bytes`` and every text string are Python-2 ``str`` objects, i.e. the opcodes
# SHORT_BINSTRING ('U') / BINSTRING ('T'), and the dtype is numpy.dtype('f8', 0, 1) followed by
# BUILD with (3, '<', None, None, None, -1, -1, 0). Python 3's pickler never writes these
# opcodes (it writes BINUNICODE and, for bytes, _codecs.encode), so we emit them by hand.


def _py2_str(data: bytes) -> bytes:
    if len(data) < 256:
        return b"U" + bytes([len(data)]) + data  # SHORT_BINSTRING
    return b"T" + struct.pack("<i", len(data)) + data  # BINSTRING


def _int(value: int) -> bytes:
    if 0 <= value < 256:
        return b"K" + bytes([value])  # BININT1
    if 0 <= value < 65536:
        return b"M" + struct.pack("<H", value)  # BININT2
    return b"J" + struct.pack("<i", value)  # BININT


def _tuple(items: list[bytes]) -> bytes:
    body = b"".join(items)
    if len(items) == 0:
        return b")"  # EMPTY_TUPLE
    if len(items) <= 3:
        return body + {1: b"\x85", 2: b"\x86", 3: b"\x87"}[len(items)]  # TUPLE1..3
    return b"(" + body + b"t"  # MARK ... TUPLE


def _py2_dtype(dtype: np.dtype) -> bytes:
    dtype = np.dtype(dtype)
    byteorder = "|" if dtype.itemsize == 1 else "<"
    code = f"{dtype.kind}{dtype.itemsize}".encode()
    new = b"cnumpy\ndtype\n" + _tuple([_py2_str(code), _int(0), _int(1)]) + b"R"  # REDUCE
    state = _tuple(
        [
            _int(3),
            _py2_str(byteorder.encode()),
            b"N",
            b"N",
            b"N",
            b"J" + struct.pack("<i", -1),
            b"J" + struct.pack("<i", -1),
            _int(0),
        ]
    )
    return new + state + b"b"  # BUILD


def _py2_ndarray(array: np.ndarray) -> bytes:
    array = np.ascontiguousarray(array)
    if array.dtype.byteorder == ">":
        raise ValueError("only little-endian arrays are written")
    new = (
        b"cnumpy.core.multiarray\n_reconstruct\n"
        + _tuple([b"cnumpy\nndarray\n", _tuple([_int(0)]), _py2_str(b"b")])
        + b"R"
    )
    shape = _tuple([_int(int(n)) for n in array.shape])
    state = _tuple([_int(1), shape, _py2_dtype(array.dtype), b"\x89", _py2_str(array.tobytes())])
    return new + state + b"b"


def py2_pickle_dumps(arrays: dict[str, np.ndarray]) -> bytes:
    """Pickle a dict of str -> ndarray exactly as Python 2 ``cPickle.dump(d, f, 2)`` would."""
    out = [b"\x80\x02", b"}"]  # PROTO 2, EMPTY_DICT
    if arrays:
        out.append(b"(")  # MARK
        for key, value in arrays.items():
            out.append(_py2_str(key.encode("ascii")))
            out.append(_py2_ndarray(np.asarray(value)))
        out.append(b"u")  # SETITEMS
    out.append(b".")  # STOP
    return b"".join(out)


def _check_roundtrip(blob: bytes, arrays: dict[str, np.ndarray]) -> None:
    # The check the task asks for: Python 3 reads it back the way DEAP users do.
    loaded = pickle.loads(blob, encoding="latin1")
    assert sorted(loaded) == sorted(arrays), sorted(loaded)
    for key, value in arrays.items():
        assert loaded[key].dtype == value.dtype and loaded[key].shape == value.shape
        np.testing.assert_array_equal(loaded[key], value)


# --- The dummy recordings -----------------------------------------------------------------------


def make_subject(seed: int, n_trials: int, ratings: np.ndarray, dtype=np.float32):
    """``data`` (n_trials, 40, N_SAMPLES) and ``labels`` (n_trials, 4) of one dummy subject."""
    rng = np.random.default_rng(seed)
    time_s = np.arange(N_SAMPLES) / 128.0
    freqs = rng.uniform(2.0, 30.0, size=(n_trials, N_CHANNELS, 1))
    data = 20.0 * np.sin(2 * np.pi * freqs * time_s) + rng.normal(
        0.0, 2.0, (n_trials, N_CHANNELS, N_SAMPLES)
    )
    data[:, 36] = 1e5 + 2000.0 * np.sin(
        2 * np.pi * 0.05 * time_s + rng.uniform(0, 6, (n_trials, 1))
    )  # GSR, Ohm
    data = np.round(data * 2.0) / 2.0
    return data.astype(dtype), np.asarray(ratings, dtype=np.float64).reshape(n_trials, 4)


def main() -> None:
    python_dir = HERE / "data_preprocessed_python"
    matlab_dir = HERE / "data_preprocessed_matlab"
    python_dir.mkdir(exist_ok=True)
    matlab_dir.mkdir(exist_ok=True)

    # s01: trial 1 high valence / low arousal (label 1), trial 2 arousal exactly 5.0 -> high (label 2).
    data, labels = make_subject(1, 2, [[7.1, 3.2, 5.0, 6.0], [2.5, 5.0, 4.0, 1.0]])
    arrays = {"labels": labels, "data": data}
    blob = py2_pickle_dumps(arrays)
    _check_roundtrip(blob, arrays)
    (python_dir / "s01.dat").write_bytes(blob)

    # s02: MATLAB only; high valence / high arousal (label 3).
    data, labels = make_subject(2, 1, [[8.0, 6.5, 5.5, 9.0]])
    scipy.io.savemat(matlab_dir / "s02.mat", {"data": data, "labels": labels}, do_compression=True)


if __name__ == "__main__":
    main()
