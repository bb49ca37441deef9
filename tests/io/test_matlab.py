import numpy as np
import pytest
import scipy.io

from amigos_emo.io import CorpusFormatError
from amigos_emo.io.matlab import cell_items, load_mat


def test_round_trip_and_cell_order(tmp_path):
    cell = np.empty((1, 3), dtype=object)
    for i in range(3):
        cell[0, i] = np.full((2, 2), float(i))
    scipy.io.savemat(tmp_path / "a.mat", {"c": cell, "x": np.arange(4.0)})
    data = load_mat(tmp_path / "a.mat", variables=["c"])
    items = cell_items(data["c"], "a.mat", "c")
    assert [float(item[0, 0]) for item in items] == [0.0, 1.0, 2.0]


def test_missing_variable_names_file_and_variables(tmp_path):
    scipy.io.savemat(tmp_path / "b.mat", {"other": np.zeros(3)})
    with pytest.raises(
        CorpusFormatError, match=r"b\.mat.*missing variable\(s\) joined_data.*Found variables other"
    ):
        load_mat(tmp_path / "b.mat", variables=["joined_data"])


def test_truncated_file(tmp_path):
    scipy.io.savemat(tmp_path / "c.mat", {"x": np.random.default_rng(0).normal(size=(200, 50))})
    raw = (tmp_path / "c.mat").read_bytes()
    (tmp_path / "t.mat").write_bytes(raw[: len(raw) // 2])
    with pytest.raises(CorpusFormatError, match=r"t\.mat.*truncated or corrupt"):
        load_mat(tmp_path / "t.mat", variables=["x"])


def test_empty_and_missing(tmp_path):
    (tmp_path / "e.mat").write_bytes(b"")
    with pytest.raises(CorpusFormatError, match="empty"):
        load_mat(tmp_path / "e.mat")
    with pytest.raises(FileNotFoundError, match="nope.mat"):
        load_mat(tmp_path / "nope.mat")
