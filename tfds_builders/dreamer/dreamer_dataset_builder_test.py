"""Tests of the DREAMER builder on its dummy DREAMER.mat (real struct layout, tiny)."""

import importlib.util

import numpy as np
import pytest
import scipy.io
import scipy.signal
import tensorflow_datasets as tfds

from amigos_emo.constants import dreamer as dreamer_constants
from amigos_emo.constants.grid import grid_indices
from amigos_emo.io.errors import CorpusFormatError
from amigos_emo.tfds_builders.dreamer import dreamer_dataset_builder
from amigos_emo.tfds_builders.dreamer.dreamer_dataset_builder import Builder
from amigos_emo.tfds_builders.testing import build, dummy_data

DUMMY_DIR = dummy_data(__file__)


def _load_dummy_maker():
    spec = importlib.util.spec_from_file_location(
        "dreamer_make_dummy_data", DUMMY_DIR / "make_dummy_data.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


make_dummy = _load_dummy_maker()


def _reference():
    """Trials read with the indexing path of the release (scipy defaults, cell nesting)."""
    mat = scipy.io.loadmat(DUMMY_DIR / "DREAMER.mat")
    data = mat["DREAMER"][0, 0]["Data"]
    subjects = {}
    for s in range(data.shape[1]):
        record = data[0, s]
        trials = []
        n_trials = record["EEG"][0, 0]["stimuli"][0, 0].shape[0]
        for t in range(n_trials):
            trials.append(
                {
                    "eeg": record["EEG"][0, 0]["stimuli"][0, 0][t, 0],
                    "baseline": record["EEG"][0, 0]["baseline"][0, 0][t, 0],
                    "ecg": record["ECG"][0, 0]["stimuli"][0, 0][t, 0],
                    "scores": [
                        record[f][0, 0][t, 0]
                        for f in ("ScoreValence", "ScoreArousal", "ScoreDominance")
                    ],
                }
            )
        subjects[s + 1] = trials
    return subjects


def _examples(builder, split):
    examples = list(tfds.as_numpy(builder.as_dataset(split=split, shuffle_files=False)))
    return sorted(examples, key=lambda e: (e["trial_id"], e["window_index"]))


@pytest.fixture(scope="module")
def raw_builder(tmp_path_factory):
    return build(Builder, tmp_path_factory.mktemp("dreamer_raw"), DUMMY_DIR, config="raw")


def test_dummy_file_follows_the_release_indexing_path():
    subjects = _reference()
    assert list(subjects) == [1, 2]
    assert subjects[1][0]["eeg"].shape == (1280, 14) and subjects[1][1]["eeg"].shape == (1472, 14)
    assert subjects[2][1]["ecg"].shape == (2944, 2)
    assert subjects[2][0]["scores"] == [3, 5, 2]


def test_raw_counts_values_ids_and_labels(raw_builder):
    reference = _reference()
    for subject, trials in reference.items():
        split = f"subject_{subject:02d}"
        expected_count = sum(
            min(t["eeg"].shape[0] // 128, t["ecg"].shape[0] // 256) for t in trials
        )
        assert raw_builder.info.splits[split].num_examples == expected_count == 10 + 11
        for example in _examples(raw_builder, split):
            assert example["eeg"].shape == (128, 14) and example["eeg"].dtype == np.float32
            assert example["ecg"].shape == (256, 2) and example["ecg"].dtype == np.float32
            assert example["subject_id"] == subject and example["session_id"] == 1
            for key in ("subject_id", "session_id", "trial_id", "window_index"):
                assert example[key].dtype == np.int32
            trial = trials[example["trial_id"] - 1]
            w = example["window_index"]
            n_base = trial["baseline"].shape[0] // 128
            template = (
                sum(trial["baseline"][k * 128 : (k + 1) * 128] for k in range(n_base)) / n_base
            )
            np.testing.assert_allclose(
                example["eeg"], trial["eeg"][w * 128 : (w + 1) * 128] - template, atol=1e-4
            )
            np.testing.assert_array_equal(example["ecg"], trial["ecg"][w * 256 : (w + 1) * 256])
            valence, arousal, dominance = trial["scores"]
            assert (example["valence"], example["arousal"], example["dominance"]) == (
                valence,
                arousal,
                dominance,
            )
            assert example["label"] == 2 * int(arousal >= 3) + int(valence >= 3)


def test_quadrant_threshold_rule():
    np.testing.assert_array_equal(
        dreamer_constants.quadrant_label([2, 3, 1, 5], [1, 2, 3, 3]), [0, 1, 2, 3]
    )


def test_struct_array_nesting_reads_like_the_cell_nesting(tmp_path):
    records = [make_dummy.subject_record(subject) for subject in (1, 2)]
    path = tmp_path / "DREAMER.mat"
    scipy.io.savemat(path, {"DREAMER": make_dummy.dreamer_struct(records, struct_array=True)})
    assert scipy.io.loadmat(path)["DREAMER"][0, 0]["Data"].dtype.names  # really a struct array
    cell_subjects, _ = dreamer_dataset_builder.load_dreamer(DUMMY_DIR / "DREAMER.mat")
    array_subjects, _ = dreamer_dataset_builder.load_dreamer(path)
    assert len(cell_subjects) == len(array_subjects) == 2
    for number, (a, b) in enumerate(zip(cell_subjects, array_subjects, strict=True), start=1):
        trials_a = dreamer_dataset_builder.subject_trials(a, "cell", number)
        trials_b = dreamer_dataset_builder.subject_trials(b, "array", number)
        for ta, tb in zip(trials_a, trials_b, strict=True):
            for key in ("eeg", "eeg_baseline", "ecg", "ecg_baseline", "scores"):
                np.testing.assert_array_equal(ta[key], tb[key])


def test_graph_config(tmp_path):
    from amigos_emo.constants.common import FREQUENCY_BANDS
    from amigos_emo.signal.graph import mutual_information_adjacency, normalize_adjacency

    builder = build(Builder, tmp_path, DUMMY_DIR, config="graph")
    reference = _reference()
    rows, cols = grid_indices(dreamer_constants.EEG_CHANNELS)
    for subject, trials in reference.items():
        split = f"subject_{subject:02d}"
        assert builder.info.splits[split].num_examples == len(trials) == 2
        for example in _examples(builder, split):
            trial = trials[example["trial_id"] - 1]
            last = trial["eeg"][-1280:]
            assert (
                example["eeg_grid"].shape == (1280, 9, 9)
                and example["eeg_grid"].dtype == np.float32
            )
            np.testing.assert_array_equal(example["eeg_grid"][:, rows, cols], last)
            mask = np.ones((9, 9), bool)
            mask[rows, cols] = False
            assert not example["eeg_grid"][:, mask].any()
            assert example["eeg_grid"][0, 1, 3] == last[0, 0]  # AF3 sits at row 1, column 3
            # Node features: DE of each 1 s sub-window, per band, against a float64 loop.
            assert example["node_features"].shape == (5, 14, 10)
            for band, (low, high) in enumerate(FREQUENCY_BANDS.values()):
                for sub in (0, 9):
                    segment = last[sub * 128 : (sub + 1) * 128]
                    freqs, psd = scipy.signal.periodogram(segment, fs=128.0, window="hann", axis=0)
                    in_band = (freqs >= low) & (freqs < high)
                    power = psd[in_band].sum(axis=0) * (freqs[1] - freqs[0])
                    expected = 0.5 * np.log(2 * np.pi * np.e * power)
                    np.testing.assert_allclose(
                        example["node_features"][band, :, sub], expected, rtol=1e-3
                    )
            # Adjacency: symmetric, normalised MI of the band-passed signal.
            assert (
                example["adjacency"].shape == (5, 14, 14)
                and example["adjacency"].dtype == np.float32
            )
            np.testing.assert_allclose(
                example["adjacency"], np.swapaxes(example["adjacency"], 1, 2), atol=1e-6
            )
            low, high = FREQUENCY_BANDS["alpha"]
            sos = scipy.signal.butter(4, [low, high], btype="bandpass", fs=128.0, output="sos")
            alpha = scipy.signal.sosfiltfilt(sos, trial["eeg"], axis=0)[-1280:]
            expected = normalize_adjacency(mutual_information_adjacency(alpha, n_bins=16))
            np.testing.assert_allclose(example["adjacency"][2], expected, rtol=1e-4, atol=1e-6)
            valence, arousal, dominance = trial["scores"]
            assert example["valence"] == int(valence >= 3) and example["arousal"] == int(
                arousal >= 3
            )
            assert example["valence_score"] == valence and example["dominance_score"] == dominance
            assert example["label"] == 2 * example["arousal"] + example["valence"]


def test_bad_files_raise_clear_errors(tmp_path):
    truncated = tmp_path / "t" / "DREAMER.mat"
    truncated.parent.mkdir()
    blob = (DUMMY_DIR / "DREAMER.mat").read_bytes()
    truncated.write_bytes(blob[: len(blob) // 3])
    with pytest.raises(CorpusFormatError, match=r"DREAMER\.mat.*truncated or corrupt"):
        dreamer_dataset_builder.load_dreamer(truncated)

    record = make_dummy.subject_record(1)
    bad = dict(
        record,
        EEG={"baseline": record["EEG"]["baseline"], "stimuli": record["EEG"]["stimuli"].copy()},
    )
    bad["EEG"]["stimuli"][1, 0] = bad["EEG"]["stimuli"][1, 0][:, :13]
    path = tmp_path / "DREAMER.mat"
    scipy.io.savemat(path, {"DREAMER": make_dummy.dreamer_struct([bad])})
    subjects, _ = dreamer_dataset_builder.load_dreamer(path)
    with pytest.raises(
        CorpusFormatError,
        match=r"DREAMER.Data\{1\}.EEG.stimuli\{2\}.*\(n_times, 14\).*\(1472, 13\)",
    ):
        dreamer_dataset_builder.subject_trials(subjects[0], path, 1)

    no_ecg = {k: v for k, v in record.items() if k != "ECG"}
    scipy.io.savemat(path, {"DREAMER": make_dummy.dreamer_struct([no_ecg])})
    subjects, _ = dreamer_dataset_builder.load_dreamer(path)
    with pytest.raises(CorpusFormatError, match=r"DREAMER.Data\{1\}: missing field 'ECG'"):
        dreamer_dataset_builder.subject_trials(subjects[0], path, 1)

    top = make_dummy.dreamer_struct([record])
    top["EEG_SamplingRate"] = np.array([[256.0]])
    scipy.io.savemat(path, {"DREAMER": top})
    with pytest.raises(
        CorpusFormatError,
        match=r"DREAMER.EEG_SamplingRate: unexpected sampling rate.*Expected 128 Hz",
    ):
        dreamer_dataset_builder.load_dreamer(path)

    scipy.io.savemat(path, {"something_else": np.zeros(3)})
    with pytest.raises(CorpusFormatError, match=r"missing variable\(s\) DREAMER"):
        dreamer_dataset_builder.load_dreamer(path)

    (tmp_path / "empty").mkdir()
    with pytest.raises(CorpusFormatError, match=r"no DREAMER.mat found"):
        dreamer_dataset_builder.find_dreamer_file(tmp_path / "empty")


@pytest.mark.parametrize(
    ("modality", "part", "value", "kind"),
    [
        ("ECG", "stimuli", np.nan, "1 NaN"),
        ("EEG", "baseline", np.nan, "1 NaN"),
        ("EEG", "stimuli", 1e39, "1 infinite"),
        ("ECG", "baseline", -np.inf, "1 infinite"),
    ],
)
def test_non_finite_samples_in_any_modality_are_refused(tmp_path, modality, part, value, kind):
    record = make_dummy.subject_record(1)
    cells = {m: {p: record[m][p].copy() for p in ("baseline", "stimuli")} for m in ("EEG", "ECG")}
    array = cells[modality][part][1, 0].copy()
    array[5, 1] = value
    cells[modality][part][1, 0] = array
    path = tmp_path / "DREAMER.mat"
    scipy.io.savemat(path, {"DREAMER": make_dummy.dreamer_struct([dict(record, **cells)])})
    subjects, _ = dreamer_dataset_builder.load_dreamer(path)
    with pytest.raises(
        CorpusFormatError,
        match=rf"DREAMER.Data\{{1\}}.{modality}.{part}\{{2\}}: {modality} holds non-finite samples.*{kind}",
    ):
        dreamer_dataset_builder.subject_trials(subjects[0], path, 1)


def test_nan_score_is_refused(tmp_path):
    record = make_dummy.subject_record(1)
    record["ScoreArousal"] = record["ScoreArousal"].copy()
    record["ScoreArousal"][0, 0] = np.nan
    path = tmp_path / "DREAMER.mat"
    scipy.io.savemat(path, {"DREAMER": make_dummy.dreamer_struct([record])})
    subjects, _ = dreamer_dataset_builder.load_dreamer(path)
    with pytest.raises(
        CorpusFormatError, match=r"Score\*\(1\): arousal is outside the corpus's scale.*Found nan"
    ):
        dreamer_dataset_builder.subject_trials(subjects[0], path, 1)


def test_preprocessing_spec_matches_what_is_written(raw_builder):
    spec = raw_builder.preprocessing_spec()
    assert spec.dataset == "dreamer/raw" and spec.representation == "raw"
    example = _examples(raw_builder, "subject_01")[0]
    for name, signal in spec.signals.items():
        assert example[name].shape == (int(spec.window_s * signal.sfreq_hz), len(signal.channels))
    assert Builder.DEFAULT_BUILDER_CONFIG_NAME == "graph" and Builder.DEFAULT_MODEL == "vae_gnn"


def test_interrupted_build_is_not_prepared(tmp_path, monkeypatch):
    real = dreamer_dataset_builder.subject_trials

    def failing(record, path, subject):
        if subject == 2:
            raise CorpusFormatError(path, "simulated failure midway")
        return real(record, path, subject)

    monkeypatch.setattr(dreamer_dataset_builder, "subject_trials", failing)
    with pytest.raises(CorpusFormatError, match="simulated failure midway"):
        build(Builder, tmp_path, DUMMY_DIR, config="raw")
    assert not Builder(config="raw", data_dir=tmp_path).is_prepared()


def test_grid_positions():
    from amigos_emo.constants.grid import GRID_POSITIONS, GRID_SHAPE

    assert len(set(GRID_POSITIONS.values())) == len(GRID_POSITIONS)  # one electrode per cell
    assert all(
        0 <= r < GRID_SHAPE[0] and 0 <= c < GRID_SHAPE[1] for r, c in GRID_POSITIONS.values()
    )
    # Midline in column 4, left hemisphere (odd numbers) left of it, front at the top.
    assert all(c == 4 for name, (r, c) in GRID_POSITIONS.items() if name.endswith("Z"))
    assert GRID_POSITIONS["F3"][1] < 4 < GRID_POSITIONS["F4"][1]
    assert GRID_POSITIONS["FP1"][0] < GRID_POSITIONS["CZ"][0] < GRID_POSITIONS["OZ"][0]
    rows, cols = grid_indices(["fz", "T3", "Cz"])  # case-insensitive, old names accepted
    np.testing.assert_array_equal(rows, [2, 4, 4])
    np.testing.assert_array_equal(cols, [4, 0, 4])
    with pytest.raises(ValueError, match=r"Received: 'XYZ'"):
        grid_indices(["Fz", "XYZ"])
    with pytest.raises(ValueError, match=r"distinct grid cells"):
        grid_indices(["T7", "T3"])
