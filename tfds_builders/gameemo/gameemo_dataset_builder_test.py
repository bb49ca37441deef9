"""Tests for the gameemo builder: dummy tree, both sources, STFT, bad files, interrupted builds."""

import csv
import re
import shutil

import numpy as np
import pytest
import tensorflow_datasets as tfds
from scipy import signal

from amigos_emo.constants import gameemo as constants
from amigos_emo.io.errors import CorpusFormatError
from amigos_emo.tfds_builders.gameemo import gameemo_dataset_builder
from amigos_emo.tfds_builders.gameemo.gameemo_dataset_builder import Builder
from amigos_emo.tfds_builders.testing import build, dummy_data

DUMMY_DIR = dummy_data(__file__)
WINDOW, STEP = 256, 128
EMOTIV_ORDER = (
    "AF3",
    "F7",
    "F3",
    "FC5",
    "T7",
    "P7",
    "O1",
    "O2",
    "P8",
    "T8",
    "FC6",
    "F4",
    "F8",
    "AF4",
)


def _csv_rows(path):
    with open(path, newline="") as handle:
        return list(csv.reader(handle))


def _expected_counts(folder_name):
    """{split: {game: n_windows}} counted from the CSV line counts of one source folder."""
    counts = {}
    for path in DUMMY_DIR.rglob("*.csv"):
        if folder_name not in str(path):
            continue
        match = re.match(r"S(\d+)G(\d)", path.name)
        n_rows = len(_csv_rows(path)) - 1
        n_windows = (n_rows - WINDOW) // STEP + 1 if n_rows >= WINDOW else 0
        counts.setdefault(f"subject_{int(match.group(1)):02d}", {})[int(match.group(2))] = n_windows
    return counts


def _examples(builder, split):
    examples = list(tfds.as_numpy(builder.as_dataset(split=split, shuffle_files=False)))
    return sorted(examples, key=lambda e: (e["trial_id"], e["window_index"]))


def _csv_matrix(path):
    """(n_rows, 14) float32 in Emotiv order, columns picked by header name with the csv module."""
    rows = _csv_rows(path)
    header = rows[0]
    index = [header.index(ch) for ch in EMOTIV_ORDER]
    return np.array([[float(row[i]) for i in index] for row in rows[1:]], dtype=np.float32)


def test_constants_channel_sets_agree():
    assert constants.EEG_CHANNELS == EMOTIV_ORDER
    assert sorted(constants.EEG_CHANNELS) == sorted(constants.CSV_CHANNELS)
    assert constants.GAME_TO_LABEL == {1: 0, 2: 1, 3: 2, 4: 3}
    assert constants.LABEL_NAMES == ("boring", "calm", "horror", "funny")


@pytest.mark.parametrize(
    ("config", "folder"), [("raw", "Preprocessed EEG Data"), ("raw_eeg_data", "Raw EEG Data")]
)
def test_raw_windows(tmp_path, config, folder):
    builder = build(Builder, tmp_path / "tfds", DUMMY_DIR, config=config)
    expected = _expected_counts(folder)
    assert {name: info.num_examples for name, info in builder.info.splits.items()} == {
        split: sum(games.values()) for split, games in expected.items()
    }
    assert sorted(expected) == ["subject_02", "subject_10"]
    for split, games in expected.items():
        examples = _examples(builder, split)
        per_game = {g: sum(1 for e in examples if e["trial_id"] == g) for g in games}
        assert per_game == games
        for example in examples:
            assert example["eeg"].shape == (WINDOW, 14) and example["eeg"].dtype == np.float32
            assert example["subject_id"] == int(split[-2:]) and example["session_id"] == 1
            assert example["label"] == example["trial_id"] - 1
            for key in ("subject_id", "session_id", "trial_id", "window_index"):
                assert example[key].dtype == np.int32
    # values and channel order: subject 2, game 3, last window, Emotiv order
    path = next((DUMMY_DIR / "(S02)" / folder / ".csv format").glob("S02G3*.csv"))
    last = expected["subject_02"][3] - 1
    example = next(
        e
        for e in _examples(builder, "subject_02")
        if e["trial_id"] == 3 and e["window_index"] == last
    )
    np.testing.assert_array_equal(
        example["eeg"], _csv_matrix(path)[STEP * last : STEP * last + WINDOW]
    )


def test_stft_config(tmp_path):
    builder = build(Builder, tmp_path / "tfds", DUMMY_DIR, config="stft")
    expected = _expected_counts("Preprocessed EEG Data")
    assert builder.info.splits["subject_10"].num_examples == sum(expected["subject_10"].values())
    examples = _examples(builder, "subject_02")
    assert len(examples) == sum(expected["subject_02"].values())
    assert examples[0]["stft"].shape == (14, 9, 23) and examples[0]["stft"].dtype == np.float32
    # reference: scipy.signal.stft of one channel of one window, |Z|, bins <= 45 Hz, log1p
    window = _csv_matrix(
        DUMMY_DIR / "(S02)" / "Preprocessed EEG Data" / ".csv format" / "S02G4AllChannels.csv"
    )[128:384]
    example = next(e for e in examples if e["trial_id"] == 4 and e["window_index"] == 1)
    for channel in (0, 13):
        freqs, _, z = signal.stft(
            window[:, channel].astype(np.float64), fs=128.0, nperseg=64, noverlap=32
        )
        reference = np.log1p(np.abs(z[freqs <= 45.0])).T
        np.testing.assert_allclose(example["stft"][channel], reference, rtol=1e-4, atol=1e-5)


def _copy_dummy(tmp_path):
    target = tmp_path / "manual"
    shutil.copytree(DUMMY_DIR, target, ignore=shutil.ignore_patterns("*.py"))
    return target / "(S02)" / "Preprocessed EEG Data" / ".csv format" / "S02G2AllChannels.csv"


def _rewrite(path, edit):
    rows = _csv_rows(path)
    edit(rows)
    with open(path, "w", newline="") as handle:
        csv.writer(handle).writerows(rows)


@pytest.mark.parametrize(
    ("edit", "match"),
    [
        (
            lambda rows: rows[0].__setitem__(9, "OZ"),
            r"O2: channel column missing.*Found columns AF3, AF4, F3, F4, F7, F8, FC5, FC6, O1, OZ",
        ),
        (
            lambda rows: rows.__setitem__(-1, rows[-1][:5]),
            r"FC5: missing or non-numeric value at data row 300 \(line 301\).*Found an empty cell",
        ),
        (
            lambda rows: rows[10].__setitem__(0, "x"),
            r"AF3: missing or non-numeric value at data row 10.*Found 'x'",
        ),
        (lambda rows: rows[20].extend(["1", "2", "3"]), r"cannot parse as a GAMEEMO CSV"),
        (
            lambda rows: rows[30].__setitem__(2, "1e39"),
            r"EEG columns: EEG holds non-finite samples.*1 infinite or beyond float32",
        ),
    ],
)
def test_bad_csv_raises(tmp_path, edit, match):
    path = _copy_dummy(tmp_path)
    _rewrite(path, edit)
    with pytest.raises(CorpusFormatError, match=match) as info:
        build(Builder, tmp_path / "tfds", tmp_path / "manual", config="raw")
    assert str(path) in str(info.value)


def test_missing_game_file(tmp_path):
    path = _copy_dummy(tmp_path)
    path.unlink()
    with pytest.raises(
        CorpusFormatError, match=r"subject S02 is missing preprocessed recordings.*Found missing G2"
    ):
        build(Builder, tmp_path / "tfds", tmp_path / "manual", config="raw")


def test_lowercase_and_spaced_headers_are_accepted(tmp_path):
    path = _copy_dummy(tmp_path)
    _rewrite(path, lambda rows: rows.__setitem__(0, [f" {name.lower()} " for name in rows[0]]))
    builder = build(Builder, tmp_path / "tfds", tmp_path / "manual", config="raw")
    assert builder.info.splits["subject_02"].num_examples == sum(
        _expected_counts("Preprocessed")["subject_02"].values()
    )


def test_file_outside_the_release_folders_is_ambiguous(tmp_path):
    (tmp_path / "manual").mkdir()
    shutil.copy(
        DUMMY_DIR / "(S02)" / "Preprocessed EEG Data" / ".csv format" / "S02G1AllChannels.csv",
        tmp_path / "manual",
    )
    with pytest.raises(
        CorpusFormatError, match="cannot tell whether this recording is preprocessed or raw"
    ):
        build(Builder, tmp_path / "tfds", tmp_path / "manual", config="raw")


def test_no_recordings(tmp_path):
    (tmp_path / "manual").mkdir()
    (tmp_path / "manual" / "notes.csv").write_text("a\n1\n")
    with pytest.raises(CorpusFormatError, match="no GAMEEMO preprocessed recording found"):
        build(Builder, tmp_path / "tfds", tmp_path / "manual", config="raw")


def test_interrupted_build_is_not_prepared(tmp_path, monkeypatch):
    real = gameemo_dataset_builder.read_gameemo_csv
    calls = []

    def failing(path):
        calls.append(path)
        if len(calls) == 2:
            raise RuntimeError("disk full (simulated)")
        return real(path)

    monkeypatch.setattr(gameemo_dataset_builder, "read_gameemo_csv", failing)
    with pytest.raises(RuntimeError, match="simulated"):
        build(Builder, tmp_path / "tfds", DUMMY_DIR, config="raw")
    assert not Builder(config="raw", data_dir=tmp_path / "tfds").is_prepared()


def test_preprocessing_spec_matches_what_is_written(tmp_path):
    builder = build(Builder, tmp_path / "tfds", DUMMY_DIR, config="raw")
    spec = builder.preprocessing_spec()
    assert spec.dataset == "gameemo/raw" and spec.window_s == 2.0 and spec.step_s == 1.0
    example = next(iter(tfds.as_numpy(builder.as_dataset(split="subject_02").take(1))))
    eeg = spec.signals["eeg"]
    assert example["eeg"].shape == (int(spec.window_s * eeg.sfreq_hz), len(eeg.channels))
    assert tuple(eeg.channels) == EMOTIV_ORDER
    assert Builder.DEFAULT_BUILDER_CONFIG_NAME == "stft" and Builder.DEFAULT_MODEL == "gru_xnet"
