"""Tests for the feeling_emotions builder: dummy emotions.csv, header quirks, bad files."""

import csv

import numpy as np
import pytest
import tensorflow_datasets as tfds

from amigos_emo.io.errors import CorpusFormatError
from amigos_emo.tfds_builders.feeling_emotions import feeling_emotions_dataset_builder
from amigos_emo.tfds_builders.feeling_emotions.feeling_emotions_dataset_builder import Builder
from amigos_emo.tfds_builders.testing import build, dummy_data

DUMMY_DIR = dummy_data(__file__)
CODES = {"NEGATIVE": 0, "NEUTRAL": 1, "POSITIVE": 2}


def _rows():
    with open(DUMMY_DIR / "emotions.csv", newline="") as handle:
        return list(csv.reader(handle))


def test_dummy_build(tmp_path):
    rows = _rows()
    header, body = rows[0], rows[1:]
    builder = build(Builder, tmp_path / "tfds", DUMMY_DIR)
    assert list(builder.info.splits) == ["train"]
    assert builder.info.splits["train"].num_examples == len(body) == 7
    names = builder.info.metadata["feature_names"]
    assert len(names) == 2548 and names[0] == "mean_0_a" and names[-1] == "fft_749_b"
    assert header[0] == "# mean_0_a" and names[1:] == header[1:-1]
    reloaded = Builder(data_dir=tmp_path / "tfds")  # the names survive on disk
    assert reloaded.is_prepared() and list(reloaded.info.metadata["feature_names"]) == names
    examples = sorted(
        tfds.as_numpy(builder.as_dataset(split="train")), key=lambda e: e["row_index"]
    )
    assert [int(e["row_index"]) for e in examples] == list(range(7))
    for example, row in zip(examples, body, strict=True):
        assert example["features"].shape == (2548,) and example["features"].dtype == np.float32
        np.testing.assert_array_equal(example["features"], np.array(row[:-1], dtype=np.float32))
        assert example["label"] == CODES[row[-1]]
        for key in ("subject_id", "session_id", "trial_id", "window_index"):
            assert example[key] == 0
    assert builder.info.features["label"].names == ["NEGATIVE", "NEUTRAL", "POSITIVE"]
    assert "NO SUBJECT" in builder.info.description


def _bad_csv(tmp_path, edit):
    rows = _rows()
    edit(rows)
    folder = tmp_path / "manual" / "nested"
    folder.mkdir(parents=True)
    path = folder / "emotions.csv"
    with open(path, "w", newline="") as handle:
        csv.writer(handle).writerows(rows)
    return path


def _set(rows, row, col, value):
    rows[row][col] = value


@pytest.mark.parametrize(
    ("edit", "match"),
    [
        (
            lambda r: [row.pop(5) for row in r],
            r"wrong number of feature columns.*Expected 2548 features \+ label. Found 2547",
        ),
        (lambda r: _set(r, 0, 100, "foo_3"), r"column 101: unexpected feature name.*Found 'foo_3'"),
        (lambda r: _set(r, 0, 100, ""), r"column 101: unexpected feature name"),
        (lambda r: _set(r, 0, 2548, "class"), r"label: column missing"),
        (
            lambda r: _set(r, 0, 2547, "fft_7490_b"),
            r"column 2548: the last 750 features.*Expected 'fft_749_b'",
        ),
        (lambda r: _set(r, 0, 0, "mean_0_b"), r"unexpected first column"),
        (
            lambda r: _set(r, 3, 2548, "HAPPY"),
            r"label: unknown label at data row 3 \(line 4\).*Found 'HAPPY'",
        ),
        (
            lambda r: _set(r, 2, 7, "n/a"),
            r"mean_d_2_a \(column 8\): missing or non-numeric value at data row 2",
        ),
        (lambda r: r.__setitem__(7, r[7][:1000]), r"missing or non-numeric value at data row 7"),
        (lambda r: r[4].append("1.0"), r"cannot parse as CSV"),
        (
            lambda r: _set(r, 3, 9, "1e39"),
            r"feature columns: features holds non-finite samples.*1 infinite or beyond float32",
        ),
    ],
)
def test_bad_csv_raises(tmp_path, edit, match):
    path = _bad_csv(tmp_path, edit)
    with pytest.raises(CorpusFormatError, match=match) as info:
        build(Builder, tmp_path / "tfds", tmp_path / "manual")
    assert str(path) in str(info.value)


def test_two_csvs_is_an_error(tmp_path):
    for name in ("a", "b"):
        (tmp_path / "manual" / name).mkdir(parents=True)
        (tmp_path / "manual" / name / "emotions.csv").write_bytes(
            (DUMMY_DIR / "emotions.csv").read_bytes()
        )
    with pytest.raises(CorpusFormatError, match="exactly one emotions.csv.*Found 2"):
        build(Builder, tmp_path / "tfds", tmp_path / "manual")


def test_interrupted_build_is_not_prepared(tmp_path, monkeypatch):
    real = feeling_emotions_dataset_builder.read_emotions_csv

    def truncated(path):
        names, features, labels = real(path)

        class Exploding:
            def __iter__(self):
                yield features[0]
                raise RuntimeError("disk full (simulated)")

        return names, Exploding(), labels

    monkeypatch.setattr(feeling_emotions_dataset_builder, "read_emotions_csv", truncated)
    with pytest.raises(RuntimeError, match="simulated"):
        build(Builder, tmp_path / "tfds", DUMMY_DIR)
    assert not Builder(data_dir=tmp_path / "tfds").is_prepared()


def test_default_model_and_preprocessing_spec(tmp_path):
    from amigos_emo.tfds_builders.feeling_emotions.feeling_emotions_dataset_builder import Builder

    assert Builder.DEFAULT_MODEL == "gru_classifier"
    assert getattr(Builder, "DEFAULT_BUILDER_CONFIG_NAME", None) is None
    spec = Builder(data_dir=tmp_path).preprocessing_spec()
    assert spec.representation == "features" and spec.signals == {}
    assert spec.extra["n_features"] == Builder(data_dir=tmp_path).info.features["features"].shape[0]
