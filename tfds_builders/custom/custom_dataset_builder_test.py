"""Tests of the bring-your-own-data builder on EDF, CSV and NPZ dummy recordings."""

import json
import pathlib
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

DUMMY_DIR = pathlib.Path(__file__).resolve().parent / "dummy_data"


def _build(folder, data_dir):
    builder = Builder(
        config=CustomConfig.from_json(folder / "amigos_emo_dataset.json"), data_dir=data_dir
    )
    builder.download_and_prepare()
    return builder


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
    builder = _build(DUMMY_DIR / "edf", tmp_path)
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
    builder = _build(DUMMY_DIR / "csv", tmp_path)
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
    builder = _build(DUMMY_DIR / "npz", tmp_path)
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
        _build(folder, tmp_path / "data1")

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
        _build(folder, tmp_path / "data2")

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
        custom_dataset_builder.read_recording(npz_path, spec)

    # Channel names pickled as an object array are not loaded.
    np.savez(
        npz_path, data=np.zeros((512, 3)), ch_names=np.array(["C3", "C4", "GSR"], dtype=object)
    )
    with pytest.raises(CorpusFormatError, match=r"trial2\.npz: holds a pickled \(object\) array"):
        custom_dataset_builder.read_recording(npz_path, spec)

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
        custom_dataset_builder.read_recording(edf_path, custom_spec.load_spec(folder))


def test_interrupted_build_is_not_prepared(tmp_path, monkeypatch):
    real = custom_dataset_builder.read_recording
    calls = []

    def failing(path, spec, **kwargs):
        calls.append(path)
        if len(calls) == 4:
            raise CorpusFormatError(path, "simulated failure midway")
        return real(path, spec, **kwargs)

    monkeypatch.setattr(custom_dataset_builder, "read_recording", failing)
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
    builder = _build(tmp_path, tmp_path / "data")
    n_rows = {t: sum(1 for _ in open(source / f"1_{t}.csv")) for t in range(1, 17)}
    assert builder.info.splits["subject_01"].num_examples == sum(n // 512 for n in n_rows.values())
    examples = _examples(builder, "subject_01")
    first = next(e for e in examples if e["trial_id"] == 3 and e["window_index"] == 1)
    reference = np.loadtxt(source / "1_3.csv", delimiter=",", max_rows=1024)[512:1024]
    np.testing.assert_allclose(first["eeg"], reference[:, :14], rtol=1e-5, atol=1e-9)
    np.testing.assert_allclose(first["gsr"][:, 0], reference[:, 16], rtol=1e-6)
    assert first["label"] == ["LALV", "LAHV", "HALV", "HAHV"].index(labels.quadrant[2])
    assert {int(e["trial_id"]) for e in examples} == set(range(1, 17))
