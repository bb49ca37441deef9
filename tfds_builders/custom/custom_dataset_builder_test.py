"""Tests of the bring-your-own-data builder on EDF, CSV and NPZ dummy recordings."""

import json
import shutil

import edfio
import numpy as np
import pandas as pd
import pytest
import scipy.signal
import tensorflow_datasets as tfds

from amigos_emo.io.errors import CorpusFormatError
from amigos_emo.tfds_builders.custom import custom_dataset_builder, custom_spec
from amigos_emo.tfds_builders.custom.custom_dataset_builder import Builder, CustomConfig
from amigos_emo.tfds_builders.testing import build, dummy_data

DUMMY_DIR = dummy_data(__file__)


def _examples(builder, split):
    examples = list(tfds.as_numpy(builder.as_dataset(split=split, shuffle_files=False)))
    return sorted(examples, key=lambda e: (e["session_id"], e["trial_id"], e["window_index"]))


def _copy(example, tmp_path):
    target = tmp_path / example
    shutil.copytree(DUMMY_DIR / example, target)
    return target


def _edit_json(folder, **changes):
    path = folder / "amigos_emo_dataset.json"
    description = json.loads(path.read_text())
    description.update(changes)
    path.write_text(json.dumps(description))
    return path


def test_edf_recordings(tmp_path):
    builder = build(
        Builder,
        tmp_path,
        config=CustomConfig.from_json((DUMMY_DIR / "edf") / "amigos_emo_dataset.json"),
    )
    labels = pd.read_csv(DUMMY_DIR / "edf" / "labels.csv")
    classes = ["neutral", "happy", "sad"]
    for subject in (1, 2):
        split = f"subject_{subject:02d}"
        files = sorted((DUMMY_DIR / "edf" / f"sub-{subject:02d}").rglob("*.edf"))
        # Independent reading with edfio: physical values in the header's unit (uV for EEG).
        recordings = {}
        for path in files:
            session = int(path.parent.name.split("-")[1])
            trial = int(path.stem.split("trial-")[1])
            edf = edfio.read_edf(path)
            recordings[(session, trial)] = {s.label: s.data for s in edf.signals}
        expected = sum((len(r["Fz"]) - 128) // 64 + 1 for r in recordings.values())
        assert builder.info.splits[split].num_examples == expected == 32
        for example in _examples(builder, split):
            assert example["eeg"].shape == (128, 2) and example["eeg"].dtype == np.float32
            assert example["ecg"].shape == (128, 1) and example["gsr"].shape == (128, 1)
            for key in ("subject_id", "session_id", "trial_id", "window_index"):
                assert example[key].dtype == np.int32
            record = recordings[(int(example["session_id"]), int(example["trial_id"]))]
            start = 64 * example["window_index"]
            eeg = np.stack([record["Fz"], record["Cz"]], axis=1)[start : start + 128]
            np.testing.assert_allclose(example["eeg"], eeg, rtol=1e-4, atol=1e-3)
            np.testing.assert_allclose(
                example["ecg"][:, 0], record["ECG"][start : start + 128], rtol=1e-4, atol=1e-3
            )
            np.testing.assert_allclose(
                example["gsr"][:, 0], record["EDA"][start : start + 128], rtol=1e-4
            )
            assert 4.0 < example["gsr"].min()  # microsiemens kept as stored, not scaled like volts
            row = labels[
                (labels.subject == subject)
                & (labels.session == example["session_id"])
                & (labels.trial == example["trial_id"])
            ]
            assert example["label"] == example["emotion"] == classes.index(row.emotion.item())
            assert example["valence"] == np.float32(row.valence.item())


def test_csv_recordings_and_numeric_subject_order(tmp_path):
    builder = build(
        Builder,
        tmp_path,
        config=CustomConfig.from_json((DUMMY_DIR / "csv") / "amigos_emo_dataset.json"),
    )
    spec = custom_spec.load_spec(DUMMY_DIR / "csv")
    assert list(custom_spec.find_recordings(spec))[:4] == [
        (3, 1, 1),
        (3, 1, 2),
        (3, 1, 3),
        (11, 1, 1),
    ]
    for subject in (3, 11):
        tables = {
            trial: pd.read_csv(DUMMY_DIR / "csv" / f"S{subject}_T{trial}.csv")
            for trial in (1, 2, 3)
        }
        expected = sum(len(t) // 256 for t in tables.values())
        split = f"subject_{subject:02d}"
        assert builder.info.splits[split].num_examples == expected == 5
        for example in _examples(builder, split):
            table = tables[int(example["trial_id"])]
            start = 256 * example["window_index"]
            np.testing.assert_allclose(
                example["eeg"], table[["Fp1", "Fp2"]].to_numpy()[start : start + 256], rtol=1e-6
            )
            np.testing.assert_allclose(
                example["ecg"][:, 0], table["ECG"].to_numpy()[start : start + 256], rtol=1e-6
            )
            assert example["label"] == (0 if example["trial_id"] == 1 else 1)
            assert example["subject_id"] == subject and example["session_id"] == 1


def test_npz_recordings_with_per_type_rates(tmp_path):
    builder = build(
        Builder,
        tmp_path,
        config=CustomConfig.from_json((DUMMY_DIR / "npz") / "amigos_emo_dataset.json"),
    )
    labels = pd.read_csv(DUMMY_DIR / "npz" / "labels.csv")
    for subject in (1, 2):
        split = f"subject_{subject:02d}"
        archives = {
            t: np.load(DUMMY_DIR / "npz" / f"subject{subject}" / f"trial{t}.npz") for t in (1, 2)
        }
        assert builder.info.splits[split].num_examples == sum(
            a["data"].shape[0] // 256 for a in archives.values()
        )
        for example in _examples(builder, split):
            data = archives[int(example["trial_id"])]["data"].astype(np.float64)
            w = example["window_index"]
            assert example["eeg"].shape == (256, 2) and example["gsr"].shape == (64, 1)
            np.testing.assert_array_equal(example["eeg"], data[256 * w : 256 * (w + 1), :2])
            gsr_64 = scipy.signal.resample_poly(data[:, 2], 1, 4)
            np.testing.assert_allclose(
                example["gsr"][:, 0], gsr_64[64 * w : 64 * (w + 1)], rtol=1e-4, atol=1e-4
            )
            row = labels[(labels.subject == subject) & (labels.trial == example["trial_id"])]
            assert example["arousal"] == np.float32(row.arousal.item())
            assert example["label"] == ["low", "high"].index(row.arousal_level.item())


def test_spec_errors(tmp_path):
    folder = _copy("csv", tmp_path)
    path = _edit_json(
        folder, channels=[{"name": "Fp1", "type": "eeg"}, {"name": "X", "type": "eag"}]
    )
    with pytest.raises(
        CorpusFormatError,
        match=r"amigos_emo_dataset\.json: channels\[1\]\.type: unknown channel type.*Found 'eag'",
    ):
        CustomConfig.from_json(path)

    folder = _copy("npz", tmp_path / "b")
    path = _edit_json(folder, resample=False)
    with pytest.raises(
        CorpusFormatError, match=r"sfreq: sampling-rate mismatch.*Found gsr at 64 Hz.*resample"
    ):
        custom_spec.load_spec(path)

    description = json.loads(path.read_text())
    del description["window_s"]
    path.write_text(json.dumps(description))
    with pytest.raises(CorpusFormatError, match=r"window_s: missing required key"):
        custom_spec.load_spec(path)

    path.write_text("{not json")
    with pytest.raises(CorpusFormatError, match=r"is not valid JSON"):
        custom_spec.load_spec(path)

    with pytest.raises(ValueError, match=r"CustomConfig\.from_json"):
        Builder(data_dir=tmp_path / "data")


def test_recording_errors(tmp_path):
    # A channel missing from a CSV.
    folder = _copy("csv", tmp_path)
    csv_path = folder / "S3_T2.csv"
    pd.read_csv(csv_path).drop(columns=["Fp2"]).to_csv(csv_path, index=False)
    with pytest.raises(CorpusFormatError, match=r"S3_T2\.csv: channels: column\(s\) Fp2 missing"):
        build(
            Builder,
            tmp_path / "data1",
            config=CustomConfig.from_json(folder / "amigos_emo_dataset.json"),
        )

    # A recording without a label row.
    folder = _copy("npz", tmp_path / "b")
    labels = pd.read_csv(folder / "labels.csv")
    labels[~((labels.subject == 2) & (labels.trial == 1))].to_csv(
        folder / "labels.csv", index=False
    )
    with pytest.raises(
        CorpusFormatError,
        match=r"labels\.csv: subject/session/trial: no label row for 1 recording.*subject 2, session 1, trial 1",
    ):
        build(
            Builder,
            tmp_path / "data2",
            config=CustomConfig.from_json(folder / "amigos_emo_dataset.json"),
        )

    # A file whose own rate differs from the declared one.
    folder = _copy("npz", tmp_path / "c")
    spec = custom_spec.load_spec(folder)
    npz_path = folder / "subject1" / "trial2.npz"
    with np.load(npz_path) as archive:
        np.savez(
            npz_path, data=archive["data"], ch_names=archive["ch_names"], sfreq=np.float64(200.0)
        )
    with pytest.raises(
        CorpusFormatError,
        match=r"trial2\.npz: sfreq: sampling-rate mismatch.*Expected 256 Hz.*Found 200 Hz",
    ):
        custom_dataset_builder.read_trial_signals(npz_path, spec)

    # Channel names pickled as an object array are not loaded.
    np.savez(
        npz_path, data=np.zeros((512, 3)), ch_names=np.array(["C3", "C4", "GSR"], dtype=object)
    )
    with pytest.raises(CorpusFormatError, match=r"trial2\.npz: holds a pickled \(object\) array"):
        custom_dataset_builder.read_trial_signals(npz_path, spec)

    # An unknown class in the labels CSV.
    folder = _copy("csv", tmp_path / "d")
    (folder / "labels.csv").write_text("subject,trial,condition\n3,1,sleep\n")
    with pytest.raises(
        CorpusFormatError,
        match=r"labels\.csv: condition: row 2: unknown class.*\['rest', 'task'\].*'sleep'",
    ):
        custom_spec.load_labels(custom_spec.load_spec(folder))

    # A truncated EDF.
    folder = _copy("edf", tmp_path / "e")
    edf_path = next((folder / "sub-01").rglob("*.edf"))
    edf_path.write_bytes(edf_path.read_bytes()[:200])
    with pytest.raises(CorpusFormatError, match=r"\.edf: could not be read as EDF"):
        custom_dataset_builder.read_trial_signals(edf_path, custom_spec.load_spec(folder))


def test_interrupted_build_is_not_prepared(tmp_path, monkeypatch):
    real = custom_dataset_builder.read_trial_signals
    calls = []

    def failing(path, spec, **kwargs):
        calls.append(path)
        if len(calls) == 4:
            raise CorpusFormatError(path, "simulated failure midway")
        return real(path, spec, **kwargs)

    monkeypatch.setattr(custom_dataset_builder, "read_trial_signals", failing)
    config = CustomConfig.from_json(DUMMY_DIR / "csv" / "amigos_emo_dataset.json")
    with pytest.raises(CorpusFormatError, match="simulated failure midway"):
        Builder(config=config, data_dir=tmp_path).download_and_prepare()
    assert not Builder(config=config, data_dir=tmp_path).is_prepared()


@pytest.mark.real_data
def test_real_amigos_csvs_as_custom_data(shared_data, tmp_path):
    """AMIGOS participant 1 (header-less CSVs, 128 Hz) described by a JSON kept elsewhere."""
    source = shared_data / "amigos_p01"
    ratings = pd.read_csv(source / "labels_all_participants_short_videos.csv", header=None).iloc[
        :16
    ]
    labels = pd.DataFrame(
        {
            "subject": 1,
            "trial": np.arange(1, 17),
            "valence": ratings[1],
            "arousal": ratings[0],
            "quadrant": [
                ("LALV", "LAHV", "HALV", "HAHV")[2 * int(a >= 5) + int(v >= 5)]
                for v, a in zip(ratings[1], ratings[0], strict=True)
            ],
        }
    )
    labels.to_csv(tmp_path / "labels.csv", index=False)
    eeg = ["AF3", "F7", "F3", "FC5", "T7", "P7", "O1", "O2", "P8", "T8", "FC6", "F4", "F8", "AF4"]
    columns = eeg + ["ECG_Right", "ECG_Left", "GSR"]
    description = {
        "name": "amigos_p01",
        "root": str(source),
        "file_pattern": "{subject}_{trial}.csv",
        "channels": [{"name": n, "type": "eeg"} for n in eeg]
        + [
            {"name": "ECG_Right", "type": "ecg"},
            {"name": "ECG_Left", "type": "ecg"},
            {"name": "GSR", "type": "gsr"},
        ],
        "sfreq": 128,
        "labels_file": "labels.csv",
        "labels": {
            "quadrant": {"type": "categorical", "classes": ["LALV", "LAHV", "HALV", "HAHV"]},
            "valence": {"type": "continuous"},
            "arousal": {"type": "continuous"},
        },
        "window_s": 4.0,
        "csv": {"header": False, "column_names": columns},
        "allow_paths_outside": True,  # the recordings stay in the shared folder
    }
    (tmp_path / "amigos_emo_dataset.json").write_text(json.dumps(description))
    builder = build(
        Builder,
        tmp_path / "data",
        config=CustomConfig.from_json(tmp_path / "amigos_emo_dataset.json"),
    )
    n_rows = {t: sum(1 for _ in open(source / f"1_{t}.csv")) for t in range(1, 17)}
    assert builder.info.splits["subject_01"].num_examples == sum(n // 512 for n in n_rows.values())
    examples = _examples(builder, "subject_01")
    first = next(e for e in examples if e["trial_id"] == 3 and e["window_index"] == 1)
    reference = np.loadtxt(source / "1_3.csv", delimiter=",", max_rows=1024)[512:1024]
    np.testing.assert_allclose(first["eeg"], reference[:, :14], rtol=1e-5, atol=1e-9)
    np.testing.assert_allclose(first["gsr"][:, 0], reference[:, 16], rtol=1e-6)
    assert first["label"] == ["LALV", "LAHV", "HALV", "HAHV"].index(labels.quadrant[2])
    assert {int(e["trial_id"]) for e in examples} == set(range(1, 17))


# --- Native rates, one file per modality, features, path and label checks ---------------------


@pytest.fixture(scope="module")
def wearable_study(tmp_path_factory):
    from amigos_emo.synthetic import write_synthetic_wearable_study

    folder = tmp_path_factory.mktemp("wearable")
    write_synthetic_wearable_study(
        folder, n_subjects=2, seed=1, trial_s=30.0, window_s=10.0, step_s=5.0, representation="raw"
    )
    return folder


def test_multirate_npz_study_windows_aligned_in_time(wearable_study, tmp_path):
    builder = build(
        Builder, tmp_path, config=CustomConfig.from_json(wearable_study / "amigos_emo_dataset.json")
    )
    assert builder.info.features["bvp"].shape == (640, 1) and builder.info.features[
        "gsr"
    ].shape == (40, 1)
    assert builder.info.features["acc"].shape == (320, 3) and builder.info.features[
        "temperature"
    ].shape == (40, 1)
    assert (
        builder.info.splits["subject_01"].num_examples == 3 * 5
    )  # 3 trials of (30 - 10) / 5 + 1 windows
    labels = pd.read_csv(wearable_study / "labels.csv")
    for example in _examples(builder, "subject_02")[:8]:
        with np.load(wearable_study / "S02" / f"S02_trial{example['trial_id']}.npz") as archive:
            start_s = 5.0 * example["window_index"]
            for kind, key, rate in (
                ("bvp", "BVP", 64),
                ("gsr", "EDA", 4),
                ("temperature", "TEMP", 4),
                ("acc", "ACC", 32),
            ):
                start = int(start_s * rate)
                np.testing.assert_array_equal(
                    example[kind], archive[key][start : start + 10 * rate]
                )
        row = labels[(labels.subject == 2) & (labels.trial == example["trial_id"])]
        assert example["label"] == ["baseline", "stress", "amusement"].index(row.condition.item())
        assert example["stress"] == ["no", "yes"].index(row.stress.item())
    spec = builder.preprocessing_spec()
    assert (
        spec.dataset == "custom/synthetic_wearable"
        and spec.representation == "raw"
        and spec.baseline is None
    )
    assert {k: (s.channels, s.sfreq_hz, s.unit) for k, s in spec.signals.items()} == {
        "bvp": (["BVP"], 64.0, "a.u."),
        "gsr": (["EDA"], 4.0, "uS"),
        "temperature": (["TEMP"], 4.0, "degC"),
        "acc": (["ACC_X", "ACC_Y", "ACC_Z"], 32.0, "g"),
    }
    assert (spec.window_s, spec.step_s) == (10.0, 5.0) and Builder.DEFAULT_MODEL == "signal_fusion"


def test_one_csv_per_modality_with_resampling_equals_npz(tmp_path):
    from amigos_emo.synthetic import write_synthetic_wearable_study

    write_synthetic_wearable_study(
        tmp_path / "csv", n_subjects=1, seed=2, trial_s=20.0, layout="csv", representation="raw"
    )
    write_synthetic_wearable_study(
        tmp_path / "npz", n_subjects=1, seed=2, trial_s=20.0, layout="npz", representation="raw"
    )
    for folder in (tmp_path / "csv", tmp_path / "npz"):  # BVP resampled 64 -> 32 Hz
        _edit_json(folder, sfreq={"bvp": 32, "gsr": 4, "temperature": 4, "acc": 32}, resample=True)
    from_csv = _examples(
        build(
            Builder,
            tmp_path / "d1",
            config=CustomConfig.from_json((tmp_path / "csv") / "amigos_emo_dataset.json"),
        ),
        "subject_01",
    )
    from_npz = _examples(
        build(
            Builder,
            tmp_path / "d2",
            config=CustomConfig.from_json((tmp_path / "npz") / "amigos_emo_dataset.json"),
        ),
        "subject_01",
    )
    assert len(from_csv) == len(from_npz) == 3 * 2
    with np.load(tmp_path / "npz" / "S01" / "S01_trial1.npz") as archive:
        bvp_32 = scipy.signal.resample_poly(archive["BVP"][:, 0].astype(np.float64), 1, 2)
    first = next(e for e in from_npz if e["trial_id"] == 1 and e["window_index"] == 1)
    np.testing.assert_allclose(first["bvp"][:, 0], bvp_32[320:640], rtol=1e-5, atol=1e-4)
    for a, b in zip(from_csv, from_npz, strict=True):
        for kind in ("bvp", "gsr", "temperature", "acc"):
            np.testing.assert_allclose(a[kind], b[kind], atol=2e-4)  # CSV keeps 6 decimals
    # A trial without its EDA file is an error naming the pattern key.
    next((tmp_path / "csv").rglob("S01_trial2_EDA.csv")).unlink()
    with pytest.raises(
        CorpusFormatError, match=r"file_pattern\.EDA: 1 trial\(s\) lack their EDA file.*trial 2"
    ):
        custom_spec.find_recordings(custom_spec.load_spec(tmp_path / "csv"))


def test_features_representation_matches_physio_and_predict(wearable_study, tmp_path):
    from amigos_emo.io import recordings
    from amigos_emo.predict import TrainedModel, prepare_inputs
    from amigos_emo.signal.physio import window_features

    folder = tmp_path / "study"
    shutil.copytree(wearable_study, folder)
    _edit_json(folder, representation="features", name="wearable_features")
    builder = build(
        Builder,
        tmp_path / "data",
        config=CustomConfig.from_json(folder / "amigos_emo_dataset.json"),
    )
    spec = custom_spec.load_spec(folder)
    names = builder.info.metadata["feature_names"]
    assert names == spec.feature_names() and len(names) == 3 + 5 + 2 + 3
    assert names[:3] == ["bvp_BVP_heart_rate_bpm", "bvp_BVP_rmssd_ms", "bvp_BVP_sdnn_ms"]
    assert builder.info.features["features"].shape == (len(names),)
    examples = [e for e in _examples(builder, "subject_01") if e["trial_id"] == 2]
    signals = custom_dataset_builder.read_trial_signals(folder / "S01" / "S01_trial2.npz", spec)
    reference = window_features(
        signals, spec.sfreq, 5.0 * np.arange(5), 10.0, spec.channels_by_type
    )
    assert len(examples) == 5 and np.all(np.isfinite(reference))
    for example in examples:
        np.testing.assert_allclose(
            example["features"], reference[example["window_index"]], rtol=1e-6
        )
    # predict computes the same vector from the raw file with the builder's preprocessing spec.
    model = TrainedModel(
        path="m.keras", name="m", input_shapes={"features": (len(names),)}, output_names=("label",)
    )
    inputs, starts_s, valid = prepare_inputs(
        model,
        builder.preprocessing_spec(),
        recordings.read_recording(folder / "S01" / "S01_trial2.npz"),
    )
    assert valid.all() and np.allclose(starts_s, 5.0 * np.arange(5))
    np.testing.assert_allclose(
        inputs["features"], np.stack([e["features"] for e in examples]), rtol=1e-6
    )


def test_predict_raw_inputs_equal_builder_examples(wearable_study, tmp_path):
    from amigos_emo.io import recordings
    from amigos_emo.predict import TrainedModel, prepare_inputs

    builder = build(
        Builder, tmp_path, config=CustomConfig.from_json(wearable_study / "amigos_emo_dataset.json")
    )
    shapes = {
        k: tuple(builder.info.features[k].shape) for k in ("bvp", "gsr", "temperature", "acc")
    }
    model = TrainedModel(path="m.keras", name="m", input_shapes=shapes, output_names=("label",))
    inputs, starts_s, _ = prepare_inputs(
        model,
        builder.preprocessing_spec(),
        recordings.read_recording(wearable_study / "S01" / "S01_trial3.npz"),
    )
    examples = [e for e in _examples(builder, "subject_01") if e["trial_id"] == 3]
    assert len(starts_s) == len(examples) == 5
    for kind in shapes:
        np.testing.assert_array_equal(inputs[kind], np.stack([e[kind] for e in examples]))


def test_raw_and_features_together_equal_each_representation(wearable_study, tmp_path):
    from amigos_emo.io import recordings
    from amigos_emo.models.registry import get_model_entry
    from amigos_emo.predict import TrainedModel, prepare_inputs
    from amigos_emo.training.fold_data import model_inputs

    built = {}
    for representation in ("raw", "features", "raw+features"):
        folder = tmp_path / representation.replace("+", "_")
        shutil.copytree(wearable_study, folder)
        _edit_json(folder, representation=representation, name=f"w_{folder.name}")
        built[representation] = build(
            Builder,
            tmp_path / f"data_{folder.name}",
            config=CustomConfig.from_json(folder / "amigos_emo_dataset.json"),
        )
    both = built["raw+features"]
    kinds = ("bvp", "gsr", "temperature", "acc")
    assert set(both.info.features) >= {*kinds, "features", "label"}
    assert both.info.metadata["feature_names"] == built["features"].info.metadata["feature_names"]
    assert both.normalisation_axes() == {
        **built["raw"].normalisation_axes(),
        **built["features"].normalisation_axes(),
    }
    raw, features, together = (
        _examples(built[r], "subject_02") for r in ("raw", "features", "raw+features")
    )
    assert len(raw) == len(features) == len(together) == 15
    for a, b, c in zip(raw, features, together, strict=True):
        assert a["window_index"] == c["window_index"] and a["trial_id"] == c["trial_id"]
        for kind in kinds:
            np.testing.assert_array_equal(c[kind], a[kind])
        np.testing.assert_array_equal(c["features"], b["features"])
    # signal_fusion reads every signal and the feature vector; predict computes both.
    spec = both.preprocessing_spec()
    assert spec.representation == "raw+features"
    assert model_inputs(get_model_entry("signal_fusion"), both) == (*kinds, "features")
    shapes = {k: tuple(both.info.features[k].shape) for k in (*kinds, "features")}
    model = TrainedModel(path="m.keras", name="m", input_shapes=shapes, output_names=("label",))
    folder = tmp_path / "raw_features"
    inputs, starts_s, valid = prepare_inputs(
        model, spec, recordings.read_recording(folder / "S02" / "S02_trial1.npz")
    )
    trial = [e for e in together if e["trial_id"] == 1]
    assert valid.all() and len(starts_s) == len(trial) == 5
    for key in shapes:
        np.testing.assert_allclose(inputs[key], np.stack([e[key] for e in trial]), rtol=1e-6)


def test_paths_must_stay_inside_the_study_folder(tmp_path):
    folder = _copy("csv", tmp_path / "study")
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "labels.csv").write_text((folder / "labels.csv").read_text())
    path = _edit_json(folder, labels_file="../../../../../../../../etc/passwd")
    with pytest.raises(
        CorpusFormatError,
        match=r"labels_file: points outside the study folder.*Found /etc/passwd.*allow_paths_outside",
    ):
        custom_spec.load_spec(path)
    _edit_json(folder, labels_file="labels.csv", root="/")
    with pytest.raises(
        CorpusFormatError, match=r"root: points outside the study folder.*Found /\."
    ):
        custom_spec.load_spec(path)
    # A symlink inside the folder that leads outside is resolved before the check.
    (folder / "link.csv").symlink_to(outside / "labels.csv")
    _edit_json(folder, root=".", labels_file="link.csv")
    with pytest.raises(CorpusFormatError, match=r"labels_file: points outside the study folder"):
        custom_spec.load_spec(path)
    _edit_json(folder, labels_file="labels.csv")
    shutil.move(folder / "S3_T2.csv", outside / "S3_T2.csv")
    (folder / "S3_T2.csv").symlink_to(outside / "S3_T2.csv")
    with pytest.raises(
        CorpusFormatError,
        match=r"file_pattern: points outside the study folder.*Found \S*elsewhere/S3_T2\.csv",
    ):
        custom_spec.find_recordings(custom_spec.load_spec(path))
    _edit_json(folder, allow_paths_outside=True, labels_file=str(outside / "labels.csv"))
    spec = custom_spec.load_spec(path)  # explicit opt-in
    assert (
        spec.labels_file == outside / "labels.csv" and len(custom_spec.find_recordings(spec)) == 6
    )
    _edit_json(folder, file_pattern="../S{subject}_T{trial}.csv")
    with pytest.raises(
        CorpusFormatError, match=r"file_pattern: must be a relative path below root"
    ):
        custom_spec.load_spec(path)


def test_label_ranges_and_non_finite_trials(tmp_path):
    folder = _copy("npz", tmp_path / "study")
    description = json.loads((folder / "amigos_emo_dataset.json").read_text())
    labels = description["labels"]
    continuous = next(name for name, info in labels.items() if info["type"] == "continuous")
    labels[continuous]["range"] = [0, 1]
    _edit_json(folder, labels=labels)
    with pytest.raises(
        CorpusFormatError,
        match=rf"labels\.csv: {continuous} \(row 2\): {continuous} is outside the corpus's scale.*\[0, 1\]",
    ):
        custom_spec.load_labels(custom_spec.load_spec(folder))
    labels[continuous]["range"] = [1, 9]
    _edit_json(folder, labels=labels)
    custom_spec.load_labels(custom_spec.load_spec(folder))
    npz_path = folder / "subject2" / "trial1.npz"
    with np.load(npz_path) as archive:
        data, names = archive["data"].copy(), archive["ch_names"]
    data[100, 2] = np.nan
    np.savez(npz_path, data=data, ch_names=names, sfreq=np.float64(256.0))
    with pytest.raises(
        CorpusFormatError,
        match=r"trial1\.npz: subject 2, session 1, trial 1: gsr \(\w+\) holds non-finite samples",
    ):
        build(
            Builder,
            tmp_path / "d1",
            config=CustomConfig.from_json(folder / "amigos_emo_dataset.json"),
        )
    _edit_json(folder, skip_nonfinite_trials=True)
    builder = build(
        Builder, tmp_path / "d2", config=CustomConfig.from_json(folder / "amigos_emo_dataset.json")
    )
    assert {int(e["trial_id"]) for e in _examples(builder, "subject_02")} == {2}


def test_a_json_without_representation_gets_features_where_they_are_defined(tmp_path):
    from amigos_emo.tfds_builders.custom.custom_spec import auto_representation

    wearable = {"bvp": 64.0, "gsr": 4.0, "acc": 32.0}
    assert auto_representation(tuple(wearable), wearable, 10.0) == "raw+features"
    assert auto_representation(tuple(wearable), wearable, 2.0) == "raw"  # too few beats
    assert auto_representation(("eeg", "acc"), {"eeg": 256.0, "acc": 32.0}, 10.0) == "raw"
    assert auto_representation(("eeg", "ecg"), {"eeg": 256.0, "ecg": 256.0}, 10.0) == (
        "raw+features"
    )
    assert auto_representation(("eeg", "ecg"), {"eeg": 64.0, "ecg": 64.0}, 10.0) == "raw"
    # the dummy studies (1-2 s windows) stay raw, as they were written
    for example in ("csv", "edf", "npz"):
        spec = custom_spec.load_spec(DUMMY_DIR / example)
        assert spec.representation == "raw" and not spec.representation_given


def test_eeg_features_need_a_rate_above_100_hz(tmp_path):
    folder = _copy("csv", tmp_path)
    description = json.loads((folder / "amigos_emo_dataset.json").read_text())
    rate = (
        description["sfreq"]["eeg"]
        if isinstance(description["sfreq"], dict)
        else description["sfreq"]
    )
    _edit_json(folder, representation="features", sfreq=64, file_sfreq=rate, resample=True)
    with pytest.raises(
        CorpusFormatError, match=r"representation: EEG features .* cannot be computed.*eeg at 64 Hz"
    ):
        custom_spec.load_spec(folder)


def _continuous_and_per_trial(tmp_path, **kwargs):
    """The same synthetic study written as one file per subject and as one file per trial."""
    from amigos_emo.synthetic import write_synthetic_wearable_study

    folders = {}
    for layout in ("continuous", "npz"):
        folders[layout] = tmp_path / layout
        write_synthetic_wearable_study(
            folders[layout], n_subjects=2, seed=4, trial_s=20.0, layout=layout, **kwargs
        )
    return folders


def test_continuous_recordings_cut_by_the_labels_csv_equal_one_file_per_trial(tmp_path):
    folders = _continuous_and_per_trial(tmp_path, step_s=5.0, representation="raw+features")
    assert sorted(p.name for p in (folders["continuous"] / "S01").iterdir()) == ["S01.npz"]
    labels = pd.read_csv(folders["continuous"] / "labels.csv")
    assert list(labels.columns) == ["subject", "trial", "start_s", "end_s", "condition", "stress"]
    spec = custom_spec.load_spec(folders["continuous"])
    assert spec.continuous and list(custom_spec.find_recordings(spec)) == [
        (1, 1, None),
        (2, 1, None),
    ]
    built = {
        layout: build(Builder, tmp_path / f"data_{layout}", config=CustomConfig.from_json(folder))
        for layout, folder in folders.items()
    }
    for split in ("subject_01", "subject_02"):
        continuous = _examples(built["continuous"], split)
        per_trial = _examples(built["npz"], split)
        assert len(continuous) == len(per_trial) == 3 * 3  # 3 trials of (20 - 10) / 5 + 1
        for a, b in zip(continuous, per_trial, strict=True):
            for key in ("trial_id", "window_index", "label", "stress", "bvp", "gsr", "acc"):
                np.testing.assert_array_equal(a[key], b[key])
            # Beats and SCRs are found in the trial's segment, as in the trial's own file.
            np.testing.assert_allclose(a["features"], b["features"], rtol=1e-6)
    # Trial 2 of subject 1 is seconds 20-40 of its file: window 1 starts 25 s in.
    example = next(
        e
        for e in _examples(built["continuous"], "subject_01")
        if (e["trial_id"], e["window_index"]) == (2, 1)
    )
    with np.load(folders["continuous"] / "S01" / "S01.npz") as archive:
        np.testing.assert_array_equal(example["bvp"][:, 0], archive["BVP"][25 * 64 : 35 * 64, 0])
        np.testing.assert_array_equal(example["gsr"][:, 0], archive["EDA"][25 * 4 : 35 * 4, 0])

    # predict --start-s 20 --end-s 40 on the whole file gives the builder's inputs of trial 2.
    from amigos_emo.io import recordings
    from amigos_emo.predict import TrainedModel, prepare_inputs

    builder = built["continuous"]
    shapes = {
        k: tuple(builder.info.features[k].shape)
        for k in ("bvp", "gsr", "temperature", "acc", "features")
    }
    model = TrainedModel(path="m.keras", name="m", input_shapes=shapes, output_names=("label",))
    recording = recordings.read_recording(folders["continuous"] / "S01" / "S01.npz")
    spec = builder.preprocessing_spec()
    inputs, starts_s, valid = prepare_inputs(model, spec, recording, segment=(20.0, 40.0))
    trial = [e for e in _examples(builder, "subject_01") if e["trial_id"] == 2]
    np.testing.assert_allclose(starts_s, [20.0, 25.0, 30.0])  # seconds in the file
    assert valid.all() and len(trial) == 3
    for key in shapes:
        np.testing.assert_array_equal(inputs[key], np.stack([e[key] for e in trial]))
    with pytest.raises(ValueError, match=r"S01\.npz is 60\.00 s long; --end-s 75 is after its end"):
        prepare_inputs(model, spec, recording, segment=(20.0, 75.0))
    with pytest.raises(
        ValueError, match=r"--start-s 70 --end-s \(the end\) is not a stretch of it"
    ):
        prepare_inputs(model, spec, recording, segment=(70.0, None))


def test_segment_errors_and_cropped_trials(tmp_path, caplog):
    folders = _continuous_and_per_trial(tmp_path, representation="raw")
    folder = folders["continuous"]
    labels = pd.read_csv(folder / "labels.csv")

    labels.drop(columns=["end_s"]).to_csv(folder / "labels.csv", index=False)
    with pytest.raises(
        CorpusFormatError,
        match=r"missing column\(s\) end_s.*no \{trial\}, so each recording is continuous",
    ):
        custom_spec.load_labels(custom_spec.load_spec(folder))

    bad = labels.copy()
    bad.loc[1, "end_s"] = 10.0  # before its start (20 s)
    bad.to_csv(folder / "labels.csv", index=False)
    with pytest.raises(
        CorpusFormatError,
        match=r"row 3: the segment is empty.*0 <= start_s < end_s.*start_s=20, end_s=10",
    ):
        custom_spec.load_labels(custom_spec.load_spec(folder))

    bad = labels.copy()
    bad.loc[2, "end_s"] = 75.0  # the file holds 60 s
    bad.to_csv(folder / "labels.csv", index=False)
    with pytest.raises(
        CorpusFormatError,
        match=r"labels\.csv: end_s: subject 1, session 1, trial 3: the segment ends after its recording"
        r".*at most 60\.000 s \(the length of S01\.npz\).*Found 75",
    ):
        build(Builder, tmp_path / "data_long", config=CustomConfig.from_json(folder))

    bad = labels.copy()
    bad.loc[1, "start_s"] = 15.0  # overlaps trial 1 (0-20 s): allowed, but said
    bad.to_csv(folder / "labels.csv", index=False)
    with caplog.at_level("WARNING"):
        custom_spec.load_labels(custom_spec.load_spec(folder))
    assert "1 pair(s) of segments overlap" in caplog.text and "trials 1 and 2" in caplog.text

    labels[labels.subject == 1].to_csv(folder / "labels.csv", index=False)
    with pytest.raises(
        CorpusFormatError,
        match=r"no label row for 1 recording\(s\).*none for subject 2, session 1 \(S02\.npz\)",
    ):
        build(Builder, tmp_path / "data_unlabelled", config=CustomConfig.from_json(folder))

    # Per-trial files: start_s/end_s crop each trial (here its last 10 s, one window).
    folder = folders["npz"]
    cropped = pd.read_csv(folder / "labels.csv")
    cropped.insert(2, "start_s", 10.0)
    cropped.insert(3, "end_s", 20.0)
    cropped.to_csv(folder / "labels.csv", index=False)
    builder = build(Builder, tmp_path / "data_cropped", config=CustomConfig.from_json(folder))
    example = _examples(builder, "subject_02")[0]
    assert builder.info.splits["subject_02"].num_examples == 3
    with np.load(folder / "S02" / f"S02_trial{example['trial_id']}.npz") as archive:
        np.testing.assert_array_equal(example["bvp"][:, 0], archive["BVP"][640:1280, 0])


def test_patterns_of_one_trial_agree_on_the_trial_field(tmp_path):
    folder = _copy("csv", tmp_path)
    path = _edit_json(
        folder, file_pattern={"A": "sub{subject}/t{trial}_a.csv", "B": "sub{subject}/b.csv"}
    )
    with pytest.raises(
        CorpusFormatError, match=r"file_pattern: either every pattern has \{trial\} or none"
    ):
        custom_spec.load_spec(path)
    path = _edit_json(folder, file_pattern="trial{trial}.csv")
    with pytest.raises(CorpusFormatError, match=r"file_pattern: must name the subject field"):
        custom_spec.load_spec(path)


def test_e4_session_exports_equal_the_continuous_npz_study(tmp_path):
    from amigos_emo.synthetic import write_synthetic_wearable_study

    folders = {}
    for layout in ("e4", "continuous"):
        folders[layout] = tmp_path / layout
        write_synthetic_wearable_study(
            folders[layout], n_subjects=1, seed=5, trial_s=20.0, layout=layout, representation="raw"
        )
    assert sorted(p.name for p in (folders["e4"] / "S01").iterdir()) == [
        "ACC.csv",
        "BVP.csv",
        "EDA.csv",
        "TEMP.csv",
    ]
    e4, npz = (
        _examples(
            build(Builder, tmp_path / f"data_{k}", config=CustomConfig.from_json(folders[k])),
            "subject_01",
        )
        for k in ("e4", "continuous")
    )
    assert len(e4) == len(npz) == 3 * 2
    for a, b in zip(e4, npz, strict=True):
        assert (a["trial_id"], a["window_index"], a["label"]) == (
            b["trial_id"],
            b["window_index"],
            b["label"],
        )
        for kind in ("bvp", "gsr", "temperature"):  # written with 6 decimals
            np.testing.assert_allclose(a[kind], b[kind], atol=1e-5)
        np.testing.assert_allclose(
            a["acc"], b["acc"], atol=0.5 / 64 + 1e-6
        )  # integer 1/64 g counts


def _runs_by_loop(track, sfreq, ignore):
    runs, start = [], 0
    for i in range(1, len(track) + 1):
        if i == len(track) or track[i] != track[start]:
            if track[start] not in ignore:
                runs.append((start / sfreq, i / sfreq, track[start]))
            start = i
    return runs


def test_segments_from_a_label_track_match_a_loop():
    rng = np.random.default_rng(3)
    for _ in range(20):
        track = np.repeat(rng.integers(0, 4, 12), rng.integers(1, 50, 12))
        got = custom_spec.segments_from_label_track(track, 700.0, ignore=(0,))
        assert got == _runs_by_loop(list(track), 700.0, {0})
    names = np.array(["rest", "rest", "task", "task", "task", "rest"])
    assert custom_spec.segments_from_label_track(names, 2) == [
        (0.0, 1.0, "rest"),
        (1.0, 2.5, "task"),
        (2.5, 3.0, "rest"),
    ]
    assert custom_spec.segments_from_label_track([], 4.0) == []
    with pytest.raises(ValueError, match=r"track must be 1-D"):
        custom_spec.segments_from_label_track(np.zeros((2, 2)), 4.0)
    with pytest.raises(ValueError, match=r"sfreq must be a positive number"):
        custom_spec.segments_from_label_track([1, 2], 0)
