"""Tests of the AMIGOS builder: dummy data (real format), bad files, interrupted builds, synthetic.

Plain pytest builds into ``tmp_path`` (``tfds.testing.DatasetBuilderTestCase`` needs ``dill``,
which the environment does not install); ``EXAMPLE_DIR`` below is the dummy-data folder.
"""

import logging
import os
import pathlib

import numpy as np
import pytest
import scipy.io
import tensorflow_datasets as tfds

from amigos_emo._logging import logger
from amigos_emo.io.errors import CorpusFormatError
from amigos_emo.tfds_builders.amigos import amigos_dataset_builder
from amigos_emo.tfds_builders.amigos.amigos_dataset_builder import AmigosConfig, Builder
from amigos_emo.tfds_builders.testing import build, dummy_data

DUMMY_DIR = dummy_data(__file__)
EXAMPLE_DIR = DUMMY_DIR
DUMMY_FILES = {
    1: DUMMY_DIR / "Data_Preprocessed_P01.mat",
    2: DUMMY_DIR / "Data_Preprocessed_P02" / "Data_Preprocessed_P02.mat",
}
BASELINE, WINDOW = 640, 512


class _Records(logging.Handler):
    def __init__(self):
        super().__init__(level=logging.WARNING)
        self.messages = []

    def emit(self, record):
        self.messages.append(record.getMessage())


def _reference(participant):
    """The obvious reading of a dummy file: {trial: (joined_data, labels, video_id)} for kept trials."""
    mat = scipy.io.loadmat(DUMMY_FILES[participant])
    kept = {}
    for index in range(20):
        data = mat["joined_data"][0, index]
        labels = mat["labels_selfassessment"][0, index]
        if (
            data.size == 0
            or labels.size == 0
            or np.isnan(data).any()
            or np.isnan(labels[0, :4]).any()
        ):
            continue
        if data.shape[0] < BASELINE + WINDOW:
            continue
        kept[index + 1] = (data, labels[0], str(mat["VideoIDs"][0, index][0]))
    return kept


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    records = _Records()
    logger.addHandler(records)
    try:
        builder = build(
            Builder, tmp_path_factory.mktemp("amigos"), DUMMY_DIR, config="preprocessed"
        )
    finally:
        logger.removeHandler(records)
    return builder, records.messages


def _examples(builder, split):
    examples = list(tfds.as_numpy(builder.as_dataset(split=split, shuffle_files=False)))
    return sorted(examples, key=lambda e: (e["trial_id"], e["window_index"]))


def test_split_counts_match_the_dummy_files(built):
    builder, _ = built
    expected = {
        f"subject_{p:02d}": sum(
            (data.shape[0] - BASELINE) // WINDOW for data, _, _ in _reference(p).values()
        )
        for p in DUMMY_FILES
    }
    found = {name: split.num_examples for name, split in builder.info.splits.items()}
    assert found == expected == {"subject_01": 6, "subject_02": 4}


def test_examples_values_ids_and_labels(built):
    builder, _ = built
    for participant in DUMMY_FILES:
        reference = _reference(participant)
        for example in _examples(builder, f"subject_{participant:02d}"):
            assert example["eeg"].shape == (512, 14) and example["eeg"].dtype == np.float32
            assert example["ecg"].shape == (512, 2) and example["ecg"].dtype == np.float32
            assert example["gsr"].shape == (512, 1) and example["gsr"].dtype == np.float32
            for key in ("subject_id", "session_id", "trial_id", "window_index"):
                assert example[key].dtype == np.int32
            assert example["subject_id"] == participant and example["session_id"] == 1
            data, labels, video_id = reference[int(example["trial_id"])]
            assert example["video_id"].decode() == video_id
            for name, column in (("arousal", 0), ("valence", 1), ("dominance", 2), ("liking", 3)):
                assert example[name].dtype == np.float32 and example[name] == np.float32(
                    labels[column]
                )
            start = BASELINE + WINDOW * int(example["window_index"])
            # Slow, obvious baseline reference: mean of the five 1 s baseline seconds, per sample.
            template = np.zeros((128, 14))
            for second in range(5):
                template += data[second * 128 : (second + 1) * 128, :14] / 5
            expected_eeg = np.array([data[start + t, :14] - template[t % 128] for t in range(512)])
            np.testing.assert_allclose(example["eeg"], expected_eeg, rtol=1e-6, atol=1e-5)
            np.testing.assert_array_equal(
                example["ecg"], data[start : start + 512, 14:16].astype(np.float32)
            )
            np.testing.assert_array_equal(
                example["gsr"], data[start : start + 512, 16:17].astype(np.float32)
            )


def test_transition_labels(built):
    builder, _ = built
    found = {}
    for participant in DUMMY_FILES:
        for example in _examples(builder, f"subject_{participant:02d}"):
            found[(participant, int(example["trial_id"]))] = int(example["transition"])
    # P01: (v, a) = (6, 3) (7.5, 2) (2, 2) (5, 5): HL, HL, LL, HH. P02: (3, 8) (4.99, 6) [NaN] (8, 8).
    assert found == {(1, 1): 0, (1, 2): 0, (1, 3): 1, (1, 4): 1, (2, 1): 0, (2, 2): 0, (2, 4): 1}
    assert builder.info.features["transition"].names == ["steady", "transition"]


def test_skipped_trials_warning_per_participant(built):
    _, messages = built
    p01 = [m for m in messages if "Data_Preprocessed_P01.mat: skipped" in m]
    p02 = [m for m in messages if "Data_Preprocessed_P02.mat: skipped" in m]
    assert len(p01) == 1 and len(p02) == 1
    assert "skipped 16 trial(s)" in p01[0]
    assert "13 empty joined_data: trials [8, 9," in p01[0]
    assert "1 empty labels_selfassessment: trials [6]" in p01[0]
    # The NaN samples of trial 5 sit in ECG lead III; the message names the modality and field.
    assert "1 non-finite joined_data: trials [5]" in p01[0]
    assert "joined_data{5}: ECG holds non-finite samples" in p01[0]
    assert "1 shorter than baseline + one window: trials [7]" in p01[0]
    assert "skipped 17 trial(s)" in p02[0] and "1 NaN in ratings: trials [3]" in p02[0]


def test_missing_participants_are_warned_about(built):
    _, messages = built
    missing = [m for m in messages if "AMIGOS: no file for participant(s)" in m]
    assert len(missing) == 1
    assert "[3, 4, 5," in missing[0] and "building the 2 found" in missing[0]


def test_registered_and_documented():
    builder = tfds.builder("amigos", data_dir="/nonexistent_unused")
    assert builder.builder_config.name == "preprocessed"
    assert (
        builder.builder_config.window_samples == 512 and builder.builder_config.step_samples == 512
    )
    assert "manual-dir" in Builder.MANUAL_DOWNLOAD_INSTRUCTIONS
    for name in ("README.md", "CITATIONS.bib", "TAGS.txt", "checksums.tsv"):
        assert (pathlib.Path(amigos_dataset_builder.__file__).parent / name).is_file()


# --- Bad input -----------------------------------------------------------------------------------


def _write_participant(path, n_trials=20, columns=17, label_values=12, drop=()):
    data = [np.zeros((BASELINE + WINDOW, columns)) for _ in range(n_trials)]
    labels = [np.full((1, label_values), 5.0) for _ in range(n_trials)]
    variables = {"joined_data": _object_cell(data), "labels_selfassessment": _object_cell(labels)}
    for name in drop:
        del variables[name]
    path.parent.mkdir(parents=True, exist_ok=True)
    scipy.io.savemat(path, variables)
    return path


def _object_cell(items):
    cell = np.empty((1, len(items)), dtype=object)
    for index, item in enumerate(items):
        cell[0, index] = item
    return cell


def test_truncated_file_names_the_file(tmp_path):
    good = _write_participant(tmp_path / "good" / "Data_Preprocessed_P05.mat")
    bad = tmp_path / "manual" / "Data_Preprocessed_P05.mat"
    bad.parent.mkdir()
    bad.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    with pytest.raises(
        CorpusFormatError, match=r"Data_Preprocessed_P05\.mat.*truncated or corrupt"
    ):
        build(Builder, tmp_path / "data", bad.parent, config="preprocessed")


def test_missing_joined_data(tmp_path):
    path = _write_participant(tmp_path / "Data_Preprocessed_P07.mat", drop=("joined_data",))
    with pytest.raises(
        CorpusFormatError,
        match=r"Data_Preprocessed_P07\.mat: missing variable\(s\) joined_data.*Found variables labels_selfassessment",
    ):
        amigos_dataset_builder.load_participant(path)


def test_trial_with_16_columns(tmp_path):
    path = _write_participant(tmp_path / "manual" / "Data_Preprocessed_P03.mat", columns=16)
    with pytest.raises(
        CorpusFormatError,
        match=r"Data_Preprocessed_P03\.mat: joined_data\{1\}: trial 1 does not have 17 numeric columns.*"
        r"Found float64 array of shape \(1152, 16\)",
    ):
        build(Builder, tmp_path / "data", path.parent, config="preprocessed")


def test_labels_not_12_values_and_wrong_cell_length(tmp_path):
    path = _write_participant(tmp_path / "Data_Preprocessed_P04.mat", label_values=11)
    with pytest.raises(
        CorpusFormatError, match=r"P04\.mat: labels_selfassessment\{1\}: .*12 self-assessment"
    ):
        amigos_dataset_builder.load_participant(path)
    path = _write_participant(tmp_path / "Data_Preprocessed_P06.mat", n_trials=19)
    with pytest.raises(
        CorpusFormatError, match=r"P06\.mat: joined_data: .*wrong number of trials.*Found 19 cells"
    ):
        amigos_dataset_builder.load_participant(path)


def test_empty_manual_dir(tmp_path):
    (tmp_path / "manual").mkdir()
    (tmp_path / "manual" / "notes.txt").write_text("not AMIGOS")
    with pytest.raises(
        CorpusFormatError, match=r"manual: no AMIGOS file found.*Data_Preprocessed_P01\.mat"
    ):
        build(Builder, tmp_path / "data", tmp_path / "manual", config="preprocessed")


def test_interrupted_build_is_not_prepared(tmp_path, monkeypatch):
    original = amigos_dataset_builder.load_participant

    def failing(path):
        if "P02" in os.fspath(path):
            raise RuntimeError("simulated crash while reading participant 2")
        return original(path)

    monkeypatch.setattr(amigos_dataset_builder, "load_participant", failing)
    with pytest.raises(RuntimeError, match="simulated crash"):
        build(Builder, tmp_path, DUMMY_DIR, config="preprocessed")
    monkeypatch.setattr(amigos_dataset_builder, "load_participant", original)
    fresh = tfds.builder("amigos", data_dir=os.fspath(tmp_path))
    assert not fresh.is_prepared()
    with pytest.raises(AssertionError, match="could not find data"):
        fresh.as_dataset(split="subject_01")
    # A rerun completes.
    assert (
        build(Builder, tmp_path, DUMMY_DIR, config="preprocessed")
        .info.splits["subject_01"]
        .num_examples
        == 6
    )


# --- Synthetic config ----------------------------------------------------------------------------


def test_synthetic_config_small(tmp_path):
    config = AmigosConfig(
        name="synthetic_test",
        synthetic=True,
        n_participants=2,
        seed=3,
        video_s=12.0,
        long_video_s=9.0,
    )
    builder = Builder(config=config, data_dir=os.fspath(tmp_path))
    builder.download_and_prepare()  # no manual_dir needed
    written = sorted((tmp_path / "downloads").rglob("Data_Preprocessed_P*.mat"))
    assert [p.name for p in written] == ["Data_Preprocessed_P01.mat", "Data_Preprocessed_P02.mat"]
    assert (written[0].parent / "SYNTHETIC_README.txt").is_file()
    expected = {}
    for participant, path in enumerate(written, start=1):
        mat = scipy.io.loadmat(path)
        count = 0
        for data, labels in zip(
            mat["joined_data"][0], mat["labels_selfassessment"][0], strict=True
        ):
            if data.size and labels.size and not np.isnan(data).any():
                count += (data.shape[0] - BASELINE) // WINDOW
        expected[f"subject_{participant:02d}"] = count
    assert {name: s.num_examples for name, s in builder.info.splits.items()} == expected
    example = next(iter(tfds.as_numpy(builder.as_dataset(split="subject_02").take(1))))
    assert example["eeg"].shape == (512, 14) and example["subject_id"] == 2
    assert 1.0 <= example["valence"] <= 9.0


@pytest.mark.slow
def test_default_synthetic_config_from_fresh_data_dir(tmp_path):
    builder = tfds.builder("amigos", config="synthetic", data_dir=os.fspath(tmp_path))
    builder.download_and_prepare()
    assert builder.is_prepared()
    assert sorted(builder.info.splits) == [f"subject_{p:02d}" for p in range(1, 13)]
    assert sum(s.num_examples for s in builder.info.splits.values()) == 3733


# --- Real participant 1 (../shared/data/amigos_p01) ------------------------------------------------


@pytest.mark.real_data
def test_real_participant_1(shared_data, tmp_path):
    import time

    import pandas as pd

    folder = shared_data / "amigos_p01"
    trials = [
        pd.read_csv(folder / f"1_{video}.csv", header=None).to_numpy(np.float64)
        for video in range(1, 17)
    ]
    labels = pd.read_csv(folder / "labels_all_participants_short_videos.csv", header=None).to_numpy(
        np.float64
    )[:16]
    empty = np.zeros((0, 0))
    manual = tmp_path / "manual" / "Data_Preprocessed_P01"
    manual.mkdir(parents=True)
    scipy.io.savemat(
        manual / "Data_Preprocessed_P01.mat",
        {
            "joined_data": _object_cell(trials + [empty] * 4),
            "labels_selfassessment": _object_cell(
                [row[np.newaxis] for row in labels] + [empty] * 4
            ),
        },
    )
    start = time.perf_counter()
    builder = build(Builder, tmp_path / "data", tmp_path / "manual", config="preprocessed")
    print(f"AMIGOS participant 1 (16 real videos) built in {time.perf_counter() - start:.1f} s")
    assert list(builder.info.splits) == ["subject_01"]
    counts, ratings = {}, {}
    for example in tfds.as_numpy(builder.as_dataset(split="subject_01")):
        trial = int(example["trial_id"])
        counts[trial] = counts.get(trial, 0) + 1
        ratings[trial] = (
            example["arousal"],
            example["valence"],
            example["dominance"],
            example["liking"],
        )
        assert example["video_id"].decode() == str(trial)  # no VideoIDs in this file
        assert np.isfinite(example["eeg"]).all() and np.isfinite(example["gsr"]).all()
    assert counts == {video: (len(trials[video - 1]) - 640) // 512 for video in range(1, 17)}
    for video in range(1, 17):
        np.testing.assert_array_equal(ratings[video], labels[video - 1, :4].astype(np.float32))
    assert sum(counts.values()) == builder.info.splits["subject_01"].num_examples


# --- Integrity: non-finite samples, ratings off the scale, manual_dir checks -----------------------


def _write_trials(path, trials, ratings):
    """A participant file whose first trials are ``trials`` (float64 (T, 17)) rated ``ratings``."""
    empty = np.zeros((0, 0))
    data = list(trials) + [empty] * (20 - len(trials))
    labels = [np.array([[a, v, 5.0, 5.0, 1.0, 0, 0, 1, 0, 0, 0, 0]]) for a, v in ratings]
    labels += [empty] * (20 - len(labels))
    path.parent.mkdir(parents=True, exist_ok=True)
    scipy.io.savemat(
        path, {"joined_data": _object_cell(data), "labels_selfassessment": _object_cell(labels)}
    )
    return path


def test_inf_and_float32_overflow_are_skipped_and_counted(tmp_path):
    rng = np.random.default_rng(0)
    trials = [rng.normal(size=(BASELINE + WINDOW, 17)) for _ in range(4)]
    # Trial 2: +inf in EEG; trial 3: -inf in GSR; trial 4: 1e39 in ECG (finite float64, inf as float32).
    for trial, (column, value) in zip(
        (1, 2, 3), ((3, np.inf), (16, -np.inf), (14, 1e39)), strict=True
    ):
        trials[trial][BASELINE + 7, column] = value
    manual = tmp_path / "manual"
    _write_trials(manual / "Data_Preprocessed_P09.mat", trials, [(5.0, 5.0)] * 4)
    records = _Records()
    logger.addHandler(records)
    try:
        builder = build(Builder, tmp_path / "data", manual, config="preprocessed")
    finally:
        logger.removeHandler(records)
    examples = _examples(builder, "subject_09")
    assert [int(e["trial_id"]) for e in examples] == [1]
    assert all(np.isfinite(e[k]).all() for e in examples for k in ("eeg", "ecg", "gsr"))
    warning = [m for m in records.messages if "P09.mat: skipped 19 trial(s)" in m]
    assert len(warning) == 1 and "3 non-finite joined_data: trials [2, 3, 4]" in warning[0]
    assert "joined_data{2}: EEG holds non-finite samples" in warning[0]
    assert "1 infinite or beyond float32" in warning[0]


@pytest.mark.parametrize(
    ("arousal", "valence", "name"),
    [(5.0, -3.0, "valence"), (5.0, 10.0, "valence"), (0.0, 5.0, "arousal")],
)
def test_rating_outside_1_to_9_stops_the_build(tmp_path, arousal, valence, name):
    data = np.zeros((BASELINE + WINDOW, 17))
    manual = tmp_path / "manual"
    _write_trials(
        manual / "Data_Preprocessed_P11.mat", [data, data], [(5.0, 5.0), (arousal, valence)]
    )
    with pytest.raises(
        CorpusFormatError,
        match=rf"P11\.mat: labels_selfassessment\{{2\}}: {name} is outside the corpus's scale\. "
        r"Expected a value in \[1, 9\]",
    ):
        build(Builder, tmp_path / "data", manual, config="preprocessed")


@pytest.mark.parametrize("case", ["none", "absent", "empty"])
def test_missing_or_empty_manual_dir_gives_the_builders_message(tmp_path, case):
    manual = {"none": None, "absent": tmp_path / "nowhere", "empty": tmp_path / "empty"}[case]
    if case == "empty":
        manual.mkdir()
    builder = Builder(config="preprocessed", data_dir=os.fspath(tmp_path / "data"))
    config = tfds.download.DownloadConfig(manual_dir=os.fspath(manual) if manual else None)
    with pytest.raises(CorpusFormatError) as caught:
        builder.download_and_prepare(download_config=config)
    message = str(caught.value)
    expected = {"none": "no manual_dir was given", "absent": "does not exist", "empty": "is empty"}[
        case
    ]
    assert expected in message
    assert "Data_Preprocessed_P01.mat ... Data_Preprocessed_P40.mat" in message
    assert "sign the\n   EULA" in message or "EULA" in message
    assert not builder.is_prepared()


def test_preprocessing_spec_matches_what_is_written(built):
    builder, _ = built
    spec = builder.preprocessing_spec()
    assert spec.dataset == "amigos/preprocessed" and spec.builder_version == str(builder.version)
    assert spec.representation == "raw" and spec.window_s == 4.0 and spec.step_s == 4.0
    assert spec.baseline == {
        "seconds": 5.0,
        "template_s": 1.0,
        "applies_to": ["eeg"],
        "kind": "subtract_template",
    }
    example = _examples(builder, "subject_01")[0]
    for name, signal in spec.signals.items():
        assert signal.layout == "time_channels"
        assert example[name].shape == (int(spec.window_s * signal.sfreq_hz), len(signal.channels))
    assert (
        spec.signals["eeg"].channels[:2] == ["AF3", "F7"] and spec.signals["eeg"].sfreq_hz == 128.0
    )
    # The JSON round trip the trainer writes as preprocessing.json.
    from amigos_emo.preprocessing_spec import PreprocessingSpec

    assert PreprocessingSpec.from_json(spec.to_json()) == spec


def test_default_config_and_model_are_attributes_of_the_builder():
    assert Builder.DEFAULT_BUILDER_CONFIG_NAME == "preprocessed"
    assert Builder.DEFAULT_MODEL == "multimodal_lstm"
    assert Builder.default_builder_config.name == "preprocessed"
