"""Tests for the muse builder: dummy data, real recordings, bad files, interrupted builds."""

import csv
import pathlib
import re

import numpy as np
import pytest
import tensorflow_datasets as tfds

from amigos_emo.io.errors import CorpusFormatError
from amigos_emo.signal.muse_features import muse_features
from amigos_emo.tfds_builders.muse import muse_dataset_builder
from amigos_emo.tfds_builders.muse.muse_dataset_builder import Builder
from amigos_emo.tfds_builders.testing import build, dummy_data

DUMMY_DIR = dummy_data(__file__)
LABELS = {"relaxed": 0, "neutral": 1, "concentrating": 2}
WINDOW, STEP = 256, 128
HEADER = "timestamps,TP9,AF7,AF8,TP10,Right AUX"


def _expected_windows(path):
    """Windows of one CSV, counted with a plain loop: split where timestamps jump by > 0.1 s."""
    with open(path, newline="") as handle:
        rows = list(csv.reader(handle))[1:]
    timestamps = [float(row[0]) for row in rows]
    segment_lengths, length = [], 1
    for previous, current in zip(timestamps, timestamps[1:], strict=False):
        if current - previous > 0.1:
            segment_lengths.append(length)
            length = 1
        else:
            length += 1
    segment_lengths.append(length)
    return sum((n - WINDOW) // STEP + 1 for n in segment_lengths if n >= WINDOW)


def _expected_counts(folder):
    """{split: count} and {(subject_letter, state): count} from the CSV files."""
    per_split, per_class = {}, {}
    for path in pathlib.Path(folder).rglob("*.csv"):
        match = re.match(r"subject([a-z])-([a-z]+)-(\d+)\.csv$", path.name)
        if match is None:
            continue
        count = _expected_windows(path)
        split = f"subject_{ord(match.group(1)) - ord('a') + 1:02d}"
        per_split[split] = per_split.get(split, 0) + count
        key = (match.group(1), match.group(2))
        per_class[key] = per_class.get(key, 0) + count
    return per_split, per_class


def _examples(builder, split):
    return list(tfds.as_numpy(builder.as_dataset(split=split, shuffle_files=False)))


def _write(path, lines):
    path.write_text("\n".join(lines) + "\n")
    return path


def _good_lines(n=300, sfreq=256.0, start=1533222559.839):
    rng = np.random.default_rng(0)
    return [HEADER] + [
        f"{start + i / sfreq:.3f}," + ",".join(f"{v:.3f}" for v in rng.normal(20, 10, 5))
        for i in range(n)
    ]


def test_raw_dummy_counts_shapes_ids(tmp_path):
    builder = build(Builder, tmp_path / "tfds", DUMMY_DIR, config="raw")
    per_split, per_class = _expected_counts(DUMMY_DIR)
    assert per_split == {"subject_01": 3 + 3 + 4 + 1, "subject_02": 3 + 1 + 2 + 0}  # hand count
    assert {name: info.num_examples for name, info in builder.info.splits.items()} == per_split
    assert builder.info.features["label"].names == ["relaxed", "neutral", "concentrating"]

    seen_class = {}
    for split, subject_id, letter in (("subject_01", 1, "a"), ("subject_02", 2, "b")):
        examples = _examples(builder, split)
        for example in examples:
            assert example["eeg"].shape == (WINDOW, 4) and example["eeg"].dtype == np.float32
            for key in ("subject_id", "session_id", "trial_id", "window_index", "label"):
                assert example[key].dtype in (np.int32, np.int64)
            assert example["subject_id"] == subject_id
            assert example["subject_name"].decode() == letter
            state = ("relaxed", "neutral", "concentrating")[example["label"]]
            seen_class[(letter, state)] = seen_class.get((letter, state), 0) + 1
        # trial_id: rank within subject, ordered by label then repetition (numerically: 2 < 10).
        trials = {(int(e["trial_id"]), int(e["label"]), int(e["session_id"])) for e in examples}
        if split == "subject_02":
            assert trials == {
                (1, 0, 2),
                (2, 1, 2),
                (3, 1, 10),
            }  # concentrating-1 too short: skipped
        else:
            assert trials == {(1, 0, 1), (2, 1, 1), (3, 2, 1), (4, 2, 2)}
    assert seen_class == {key: n for key, n in per_class.items() if n}


def test_raw_values_match_csv_and_gap_is_respected(tmp_path):
    builder = build(Builder, tmp_path / "tfds", DUMMY_DIR, config="raw")
    examples = [
        e for e in _examples(builder, "subject_02") if e["label"] == 0
    ]  # subjectb-relaxed-2
    examples.sort(key=lambda e: e["window_index"])
    assert [int(e["window_index"]) for e in examples] == [0, 1, 2]
    data = np.loadtxt(
        DUMMY_DIR / "original_data" / "subjectb-relaxed-2.csv", delimiter=",", skiprows=1
    )
    eeg = data[:, 1:5].astype(np.float32)
    # segment 1 has 400 samples (windows at 0, 128), segment 2 starts at row 400 (window at 400)
    np.testing.assert_array_equal(examples[0]["eeg"], eeg[0:256])
    np.testing.assert_array_equal(examples[1]["eeg"], eeg[128:384])
    np.testing.assert_array_equal(examples[2]["eeg"], eeg[400:656])


def test_features_config(tmp_path):
    builder = build(Builder, tmp_path / "tfds", DUMMY_DIR, config="features")
    per_split, _ = _expected_counts(DUMMY_DIR)
    assert {name: info.num_examples for name, info in builder.info.splits.items()} == per_split
    examples = [
        e for e in _examples(builder, "subject_01") if e["label"] == 1
    ]  # subjecta-neutral-1
    examples.sort(key=lambda e: e["window_index"])
    data = np.loadtxt(
        DUMMY_DIR / "original_data" / "subjecta-neutral-1.csv", delimiter=",", skiprows=1
    )
    windows = np.stack([data[i : i + 256, 1:5] for i in (0, 128, 256)]).astype(np.float32)
    expected = muse_features(windows)
    got = np.stack([e["features"] for e in examples])
    assert got.shape == (3, 286) and got.dtype == np.float32
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize(
    ("name", "lines", "match"),
    [
        (
            "subjecta-relaxed-1.csv",
            [HEADER.replace("AF8,", "")] + ["1.0,1,2,3,4"] * 300,
            "AF8: column missing",
        ),
        (
            "subjecta-relaxed-1.csv",
            _good_lines()[:-1] + ["1533222561.010,1.0,2.0"],
            "AF8: missing or non-numeric value at data row 300",
        ),
        (
            "subjecta-relaxed-1.csv",
            _good_lines()[:10] + ["1533222559.900,abc,1,1,1,1"],
            "TP9: missing or non-numeric value at data row 10.*'abc'",
        ),
        (
            "subjecta-relaxed-1.csv",
            _good_lines(sfreq=128.0),
            r"sampling rate.*Expected 256 Hz \+- 5%. Found 128.00 Hz",
        ),
        (
            "subjecta-relaxed-1.csv",
            _good_lines()[:1] + _good_lines()[2:] + [_good_lines()[1]],
            "timestamps go backwards",
        ),
        ("subjecta-happy-1.csv", _good_lines(), "unknown mental state.*'happy'"),
        (
            "subjecta-relaxed-1.csv",
            _good_lines()[:11]
            + [",1e39,".join(_good_lines()[11].split(",", 2)[::2])]
            + _good_lines()[12:],
            "EEG columns: EEG holds non-finite samples.*1 infinite or beyond float32",
        ),
        ("subjecta-relaxed-1.csv", [""], "cannot parse"),
    ],
)
def test_bad_files_raise_corpus_format_error(tmp_path, name, lines, match):
    manual = tmp_path / "manual"
    manual.mkdir()
    path = _write(manual / name, lines)
    with pytest.raises(CorpusFormatError, match=match) as info:
        build(Builder, tmp_path / "tfds", manual, config="raw")
    assert str(path) in str(info.value)


def test_empty_manual_dir(tmp_path):
    (tmp_path / "manual").mkdir()
    (tmp_path / "manual" / "mental-state.csv").write_text("a,b\n1,2\n")  # not a recording
    with pytest.raises(CorpusFormatError, match="no Muse recording found"):
        build(Builder, tmp_path / "tfds", tmp_path / "manual", config="raw")


def test_interrupted_build_is_not_prepared(tmp_path, monkeypatch):
    real = muse_dataset_builder.recording_windows
    calls = []

    def failing(path, *args):
        calls.append(path)
        if len(calls) == 3:
            raise RuntimeError("disk full (simulated)")
        return real(path, *args)

    monkeypatch.setattr(muse_dataset_builder, "recording_windows", failing)
    with pytest.raises(RuntimeError, match="simulated"):
        build(Builder, tmp_path / "tfds", DUMMY_DIR, config="raw")
    assert not Builder(config="raw", data_dir=tmp_path / "tfds").is_prepared()


@pytest.mark.real_data
def test_real_recordings_counts_per_subject_and_class(tmp_path, shared_data):
    folder = shared_data / "muse_mental_state"
    if not folder.is_dir():
        pytest.skip(f"{folder} is absent")
    builder = build(Builder, tmp_path / "tfds", folder, config="raw")
    per_split, per_class = _expected_counts(folder)
    assert sorted(per_split) == ["subject_01", "subject_02", "subject_03", "subject_04"]
    assert {name: info.num_examples for name, info in builder.info.splits.items()} == per_split
    for split in per_split:
        letter = "abcd"[int(split[-2:]) - 1]
        labels = np.array(
            [
                e["label"]
                for e in tfds.as_numpy(
                    builder.as_dataset(split=split).map(lambda e: {"label": e["label"]})
                )
            ]
        )
        for state, code in LABELS.items():
            assert np.sum(labels == code) == per_class[(letter, state)], (split, state)


def test_preprocessing_spec_matches_what_is_written(tmp_path):
    builder = build(Builder, tmp_path / "tfds", DUMMY_DIR, config="raw")
    spec = builder.preprocessing_spec()
    assert spec.dataset == "muse/raw" and spec.window_s == 1.0 and spec.step_s == 0.5
    split = sorted(builder.info.splits)[0]
    example = _examples(builder, split)[0]
    eeg = spec.signals["eeg"]
    assert example["eeg"].shape == (int(spec.window_s * eeg.sfreq_hz), len(eeg.channels))
    assert (
        Builder.DEFAULT_BUILDER_CONFIG_NAME == "features"
        and Builder.DEFAULT_MODEL == "gru_classifier"
    )
