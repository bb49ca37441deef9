"""Tests of the DEAP builder on its dummy data (real on-disk formats, tiny)."""

import importlib.util
import os
import pickle

import numpy as np
import pytest
import scipy.io
import tensorflow_datasets as tfds

from amigos_emo.constants import deap as deap_constants
from amigos_emo.io.errors import CorpusFormatError
from amigos_emo.io.safe_pickle import UnsafePickleError
from amigos_emo.tfds_builders.deap import deap_dataset_builder
from amigos_emo.tfds_builders.deap.deap_dataset_builder import Builder
from amigos_emo.tfds_builders.testing import build, dummy_data

DUMMY_DIR = dummy_data(__file__)


def _load_dummy_maker():
    spec = importlib.util.spec_from_file_location(
        "deap_make_dummy_data", DUMMY_DIR / "make_dummy_data.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


make_dummy = _load_dummy_maker()


def _reference_subjects():
    """Read the dummy files with plain pickle/scipy (the obvious way) -> {subject: (data, labels)}."""
    with open(DUMMY_DIR / "data_preprocessed_python" / "s01.dat", "rb") as handle:
        s01 = pickle.load(handle, encoding="latin1")
    s02 = scipy.io.loadmat(DUMMY_DIR / "data_preprocessed_matlab" / "s02.mat")
    return {1: (s01["data"], s01["labels"]), 2: (s02["data"], s02["labels"])}


@pytest.fixture(scope="module")
def raw_builder(tmp_path_factory):
    return build(Builder, tmp_path_factory.mktemp("deap_raw"), DUMMY_DIR, config="raw")


def test_raw_split_counts_match_the_dummy_files(raw_builder):
    reference = _reference_subjects()
    expected = {}
    for subject, (data, _) in reference.items():
        n_stimulus = data.shape[2] - 384
        expected[f"subject_{subject:02d}"] = data.shape[0] * (n_stimulus // 128)
    found = {name: split.num_examples for name, split in raw_builder.info.splits.items()}
    assert found == expected == {"subject_01": 8, "subject_02": 4}


def test_raw_examples_values_ids_and_labels(raw_builder):
    reference = _reference_subjects()
    for subject, (data, labels) in reference.items():
        examples = list(
            tfds.as_numpy(
                raw_builder.as_dataset(split=f"subject_{subject:02d}", shuffle_files=False)
            )
        )
        examples.sort(key=lambda e: (e["trial_id"], e["window_index"]))
        assert len(examples) == data.shape[0] * 4
        for example in examples:
            assert example["eeg"].shape == (128, 32) and example["eeg"].dtype == np.float32
            assert (
                example["peripheral"].shape == (128, 8)
                and example["peripheral"].dtype == np.float32
            )
            assert example["gsr"].shape == (128, 1)
            for key in ("subject_id", "session_id", "trial_id", "window_index"):
                assert example[key].dtype == np.int32
            assert example["subject_id"] == subject and example["session_id"] == 1
            trial, window = example["trial_id"] - 1, example["window_index"]
            # Slow, obvious reference: float64 loop over the three baseline seconds.
            signal = data[trial].astype(np.float64)
            template = np.zeros((32, 128))
            for second in range(3):
                template += signal[:32, second * 128 : (second + 1) * 128] / 3.0
            start = 384 + window * 128
            expected_eeg = (signal[:32, start : start + 128] - template).T
            np.testing.assert_allclose(example["eeg"], expected_eeg, rtol=1e-5, atol=1e-3)
            np.testing.assert_allclose(
                example["peripheral"], signal[32:, start : start + 128].T, rtol=1e-6
            )
            np.testing.assert_array_equal(example["gsr"][:, 0], example["peripheral"][:, 4])
            valence, arousal, dominance, liking = labels[trial]
            assert example["valence"] == np.float32(valence) and example["liking"] == np.float32(
                liking
            )
            assert example["dominance"] == np.float32(dominance) and example[
                "arousal"
            ] == np.float32(arousal)
            assert example["label"] == 2 * int(arousal >= 5.0) + int(valence >= 5.0)
    # The dummy ratings cover three quadrants, including arousal exactly 5.0 -> high.
    labels_seen = {
        int(e["label"])
        for e in tfds.as_numpy(raw_builder.as_dataset(split="subject_01+subject_02"))
    }
    assert labels_seen == {1, 2, 3}


def test_quadrant_label_threshold_rule():
    valence = np.array([4.99, 5.0, 4.0, 9.0])
    arousal = np.array([1.0, 4.99, 5.0, 5.0])
    np.testing.assert_array_equal(deap_constants.quadrant_label(valence, arousal), [0, 1, 2, 3])
    assert deap_constants.QUADRANT_NAMES[3] == "HAHV"


def test_python2_and_python3_pickles_load_alike(tmp_path):
    rng = np.random.default_rng(0)
    arrays = {"data": rng.normal(size=(2, 40, 500)), "labels": rng.uniform(1, 9, size=(2, 4))}
    py2 = tmp_path / "py2" / "s05.dat"
    py3 = tmp_path / "py3" / "s05.dat"
    py2.parent.mkdir()
    py3.parent.mkdir()
    py2.write_bytes(make_dummy.py2_pickle_dumps(arrays))
    py3.write_bytes(pickle.dumps(arrays, protocol=2))
    assert b"numpy.core.multiarray\n_reconstruct" in py2.read_bytes()
    assert b"_codecs" not in py2.read_bytes()  # raw bytes as a py2 str, not _codecs.encode
    for path in (py2, py3):
        data, labels = deap_dataset_builder.load_subject(path, "python")
        assert data.dtype == np.float64
        np.testing.assert_array_equal(data, arrays["data"])
        np.testing.assert_array_equal(labels, arrays["labels"])


def test_malicious_pickle_is_refused_and_not_executed(tmp_path):
    sentinel = tmp_path / "pwned"

    class Exploit:
        def __reduce__(self):
            return (os.system, (f"touch {sentinel}",))

    path = tmp_path / "s01.dat"
    path.write_bytes(pickle.dumps({"data": Exploit(), "labels": None}, protocol=2))
    with pytest.raises(
        UnsafePickleError, match=r"s01\.dat.*refused to unpickle global (posix|os|nt)\.system"
    ):
        deap_dataset_builder.load_subject(path, "python")
    assert not sentinel.exists()


def test_truncated_and_malformed_files_name_the_file(tmp_path):
    blob = (DUMMY_DIR / "data_preprocessed_python" / "s01.dat").read_bytes()
    truncated = tmp_path / "s03.dat"
    truncated.write_bytes(blob[: len(blob) // 2])
    with pytest.raises(CorpusFormatError, match=r"s03\.dat.*truncated or corrupt"):
        deap_dataset_builder.load_subject(truncated, "python")

    missing_key = tmp_path / "s04.dat"
    missing_key.write_bytes(make_dummy.py2_pickle_dumps({"data": np.zeros((1, 40, 600))}))
    with pytest.raises(CorpusFormatError, match=r"s04\.dat.*missing key\(s\) labels"):
        deap_dataset_builder.load_subject(missing_key, "python")

    wrong_channels = tmp_path / "s06.dat"
    wrong_channels.write_bytes(
        make_dummy.py2_pickle_dumps({"data": np.zeros((1, 32, 600)), "labels": np.ones((1, 4))})
    )
    with pytest.raises(
        CorpusFormatError,
        match=r"s06\.dat: data: unexpected 'data' array.*Found float64 array of shape \(1, 32, 600\)",
    ):
        deap_dataset_builder.load_subject(wrong_channels, "python")

    wrong_labels = tmp_path / "s07.mat"
    scipy.io.savemat(wrong_labels, {"data": np.zeros((2, 40, 600)), "labels": np.ones((2, 3))})
    with pytest.raises(
        CorpusFormatError, match=r"s07\.mat: labels: .*Expected a numeric array \(2, 4\)"
    ):
        deap_dataset_builder.load_subject(wrong_labels, "matlab")

    no_labels = tmp_path / "s08.mat"
    scipy.io.savemat(no_labels, {"data": np.zeros((2, 40, 600))})
    with pytest.raises(CorpusFormatError, match=r"s08\.mat.*missing variable\(s\) labels"):
        deap_dataset_builder.load_subject(no_labels, "matlab")


def test_file_discovery_is_recursive_numeric_and_prefers_python(tmp_path):
    (tmp_path / "a" / "data_preprocessed_python").mkdir(parents=True)
    (tmp_path / "b" / "data_preprocessed_matlab").mkdir(parents=True)
    for name in ("s10.dat", "s2.dat", "s01.dat"):
        (tmp_path / "a" / "data_preprocessed_python" / name).write_bytes(b"x")
    for name in ("s02.mat", "s03.mat"):
        (tmp_path / "b" / "data_preprocessed_matlab" / name).write_bytes(b"x")
    files = deap_dataset_builder.find_subject_files(tmp_path)
    assert list(files) == [1, 2, 3, 10]
    assert [kind for _, kind in files.values()] == ["python", "python", "matlab", "python"]
    assert files[2][0].name == "s2.dat"

    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "s10.dat").write_bytes(b"x")
    with pytest.raises(CorpusFormatError, match=r"two files for subject 10"):
        deap_dataset_builder.find_subject_files(tmp_path)

    (tmp_path / "empty").mkdir()
    with pytest.raises(CorpusFormatError, match=r"empty: no DEAP files found"):
        deap_dataset_builder.find_subject_files(tmp_path / "empty")


def _write_subject(manual, data, labels):
    manual.mkdir(exist_ok=True)
    (manual / "s01.dat").write_bytes(make_dummy.py2_pickle_dumps({"data": data, "labels": labels}))
    return manual


def test_non_finite_samples_stop_the_build_naming_file_and_trial(tmp_path):
    data, labels = make_dummy.make_subject(3, 2, [[7.0, 7.0, 7.0, 7.0], [3.0, 3.0, 3.0, 3.0]])
    data[1, 36, 500] = np.inf  # trial 2, GSR
    manual = _write_subject(tmp_path / "manual", data, labels)
    with pytest.raises(
        CorpusFormatError,
        match=r"s01\.dat: data\[1\] \(trial 2\): peripheral holds non-finite samples.*1 infinite",
    ):
        build(Builder, tmp_path / "data", manual, config="raw")
    data[1, 36, 500] = 0.0
    data[0, 3, 10] = 1e39  # trial 1, EEG: finite in float64, overflows float32
    _write_subject(manual, data, labels)
    with pytest.raises(CorpusFormatError, match=r"data\[0\] \(trial 1\): EEG holds non-finite"):
        build(Builder, tmp_path / "data2", manual, config="raw")


@pytest.mark.parametrize(
    ("ratings", "name", "value"),
    [
        ([0.0, 5.0, 5.0, 5.0], "valence", "0.0"),
        ([5.0, -1.0, 5.0, 5.0], "arousal", "-1.0"),
        ([5.0, 5.0, 5.0, 10.0], "liking", "10.0"),
        ([np.nan, 5.0, 5.0, 5.0], "valence", "nan"),
    ],
)
def test_ratings_outside_1_to_9_stop_the_build(tmp_path, ratings, name, value):
    data, labels = make_dummy.make_subject(3, 2, [[7.0, 7.0, 7.0, 7.0], ratings])
    manual = _write_subject(tmp_path / "manual", data, labels)
    with pytest.raises(
        CorpusFormatError,
        match=rf"s01\.dat: labels\[1\] \(trial 2\): {name} is outside the corpus's scale\. "
        rf"Expected a value in \[1, 9\]\. Found {value}",
    ):
        build(Builder, tmp_path / "data", manual, config="raw")


def test_preprocessing_spec_matches_what_is_written(raw_builder):
    spec = raw_builder.preprocessing_spec()
    assert spec.dataset == "deap/raw" and spec.representation == "raw"
    example = next(iter(tfds.as_numpy(raw_builder.as_dataset(split="subject_01").take(1))))
    for name, signal in spec.signals.items():
        assert example[name].shape == (int(spec.window_s * signal.sfreq_hz), len(signal.channels))
    assert spec.baseline["seconds"] == 3.0 and spec.baseline["applies_to"] == ["eeg"]


def test_interrupted_build_is_not_prepared(tmp_path, monkeypatch):
    calls = []
    real_load = deap_dataset_builder.load_subject

    def failing_load(path, kind):
        calls.append(path)
        if len(calls) == 2:
            raise CorpusFormatError(path, "simulated failure midway")
        return real_load(path, kind)

    monkeypatch.setattr(deap_dataset_builder, "load_subject", failing_load)
    with pytest.raises(CorpusFormatError, match="simulated failure midway"):
        build(Builder, tmp_path, DUMMY_DIR, config="raw")
    assert not Builder(config="raw", data_dir=tmp_path).is_prepared()


def test_stft_config_counts_shapes_and_values(tmp_path):
    import scipy.signal

    builder = build(Builder, tmp_path, DUMMY_DIR, config="stft")
    reference = _reference_subjects()
    config = builder.builder_config
    for subject, (data, labels) in reference.items():
        n_windows = (data.shape[2] - 384 - 512) // 256 + 1
        split = f"subject_{subject:02d}"
        assert builder.info.splits[split].num_examples == data.shape[0] * n_windows
        for example in tfds.as_numpy(builder.as_dataset(split=split)):
            assert example["stft"].dtype == np.float32
            assert example["stft"].shape == (32, 33, 23)  # 512/16 + 1 frames, 0..44 Hz in 2 Hz bins
            trial = example["trial_id"] - 1
            start = 384 + 256 * example["window_index"]
            segment = data[trial, :32, start : start + 512].astype(np.float32)
            for channel in (0, 17, 31):
                freqs, _, z = scipy.signal.stft(
                    segment[channel], fs=128.0, nperseg=config.nperseg, noverlap=config.noverlap
                )
                expected = np.log1p(np.abs(z[freqs <= 45.0])).T
                np.testing.assert_allclose(example["stft"][channel], expected, rtol=1e-4, atol=1e-5)
            assert example["label"] == int(deap_constants.quadrant_label(*labels[trial][:2]))
