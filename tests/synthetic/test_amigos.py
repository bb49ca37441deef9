"""The SYNTHETIC AMIGOS-format corpus: determinism, exact file structure, holes, physiology."""

import numpy as np
import pytest
import scipy.io
import scipy.signal

from amigos_emo.constants import amigos as C
from amigos_emo.synthetic import synthetic_holes, write_synthetic_amigos

N_PARTICIPANTS = 3
KWARGS = dict(n_participants=N_PARTICIPANTS, seed=7, video_s=20.0, long_video_s=10.0)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    directory = tmp_path_factory.mktemp("synthetic_amigos")
    paths = write_synthetic_amigos(directory, **KWARGS)
    return directory, paths


def _load(path):
    return scipy.io.loadmat(path)


def test_file_names_and_readme(corpus):
    directory, paths = corpus
    assert [p.name for p in paths] == [f"Data_Preprocessed_P0{i}.mat" for i in (1, 2, 3)]
    readme = (directory / "SYNTHETIC_README.txt").read_text()
    assert readme.startswith("SYNTHETIC DATA - NOT RECORDED")
    assert "seed=7" in readme
    assert b"SYNTHETIC" in paths[0].read_bytes()[:116]


def test_deterministic_bytes(corpus, tmp_path):
    _, paths = corpus
    again = write_synthetic_amigos(tmp_path, **KWARGS)
    for first, second in zip(paths, again, strict=True):
        assert first.read_bytes() == second.read_bytes()
    other = write_synthetic_amigos(tmp_path / "other", **{**KWARGS, "seed": 8, "n_participants": 1})
    assert other[0].read_bytes() != paths[0].read_bytes()


def test_structure_matches_amigos(corpus):
    _, paths = corpus
    holes = synthetic_holes(N_PARTICIPANTS)
    for participant, path in enumerate(paths, start=1):
        mat = _load(path)
        for name in ("joined_data", "labels_selfassessment", "labels_ext_annotation", "VideoIDs"):
            assert mat[name].dtype == object and mat[name].shape == (1, 20), name
        assert [str(v[0]) for v in mat["VideoIDs"][0]] == [f"S{k:02d}" for k in range(1, 17)] + [
            f"L{k:02d}" for k in range(1, 5)
        ]
        for trial in range(1, 21):
            data = mat["joined_data"][0][trial - 1]
            labels = mat["labels_selfassessment"][0][trial - 1]
            no_long = trial > 16 and participant in holes["no_long_videos"]
            if no_long or (participant, trial) in holes["empty_data"]:
                assert data.shape == (0, 0)
            else:
                assert data.dtype == np.float64 and data.ndim == 2 and data.shape[1] == 17
                nominal_s = 20.0 if trial <= 16 else 10.0
                assert (5 + nominal_s) * 128 <= data.shape[0] <= (5 + nominal_s + 4.5) * 128
                assert np.isnan(data).any() == ((participant, trial) in holes["nan_data"])
            if no_long or (participant, trial) in holes["empty_labels"]:
                assert labels.shape == (0, 0)
            else:
                assert labels.shape == (1, 12) and labels.dtype == np.float64
                assert np.all((labels[0, :5] >= 1) & (labels[0, :5] <= 9))
                assert set(np.unique(labels[0, 5:])) <= {0.0, 1.0}


def test_signal_scales(corpus):
    _, paths = corpus
    data = _load(paths[0])["joined_data"][0][0]
    eeg, ecg, gsr = data[:, C.EEG_COLUMNS], data[:, C.ECG_COLUMNS], data[:, C.GSR_COLUMNS]
    assert np.all((eeg.std(axis=0) > 5) & (eeg.std(axis=0) < 60))  # microvolts
    assert np.all(np.abs(eeg.mean(axis=0)) < 5)
    assert 20 < ecg[:, 0].std() < 100 and ecg[:, 1].std() < ecg[:, 0].std()
    assert np.all((gsr > 1e5) & (gsr < 1e6))  # ohms


def test_holes_match_plan():
    assert synthetic_holes(16) == {
        "no_long_videos": [2, 8, 16],
        "empty_labels": [(1, 3)],
        "nan_data": [(1, 5)],
        "empty_data": [(3, 7)],
    }
    assert synthetic_holes(1)["empty_data"] == []


def _trials(paths):
    """(arousal, valence, post-baseline joined_data) for every complete trial."""
    for path in paths:
        mat = _load(path)
        for data, labels in zip(
            mat["joined_data"][0], mat["labels_selfassessment"][0], strict=True
        ):
            if data.size and labels.size and not np.isnan(data).any():
                yield labels[0, 0], labels[0, 1], data[int(C.BASELINE_S * C.SFREQ_HZ) :]


def test_heart_rate_and_skin_conductance_rise_with_arousal(corpus):
    _, paths = corpus
    arousal, heart_rate, conductance = [], [], []
    for a, _, data in _trials(paths):
        ecg = data[:, C.ECG_COLUMNS.start]
        # Slow reference: R peaks as local maxima well above the median, 0.33 s refractory.
        peaks, _ = scipy.signal.find_peaks(
            ecg, height=np.percentile(ecg, 98) * 0.5, distance=int(0.33 * 128)
        )
        heart_rate.append(60.0 * 128 / np.median(np.diff(peaks)))
        conductance.append(np.mean(1e6 / data[:, C.GSR_COLUMNS.start]))
        arousal.append(a)
    slope, intercept = np.polyfit(arousal, heart_rate, 1)
    assert 4.0 < slope < 6.0  # 5 bpm per arousal point
    assert 50.0 < intercept + slope < 70.0  # ~60 bpm at arousal 1
    assert np.corrcoef(arousal, conductance)[0, 1] > 0.9


def test_frontal_alpha_asymmetry_tracks_valence(corpus):
    _, paths = corpus
    valence, asymmetry = [], []
    for _, v, data in _trials(paths):
        freqs, power = scipy.signal.welch(data[:, C.EEG_COLUMNS], fs=128, nperseg=256, axis=0)
        alpha = power[(freqs >= 8) & (freqs <= 13)].sum(axis=0)
        ratios = [
            np.log(alpha[C.EEG_CHANNELS.index(right)] / alpha[C.EEG_CHANNELS.index(left)])
            for left, right in (("F3", "F4"), ("AF3", "AF4"), ("F7", "F8"))
        ]
        valence.append(v)
        asymmetry.append(np.mean(ratios))
    assert np.corrcoef(valence, asymmetry)[0, 1] > 0.9
    slope = np.polyfit(valence, asymmetry, 1)[0]
    assert 0.45 < slope < 0.75  # log power ratio = 2 * 0.3 per valence point


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (
            {"n_participants": 0},
            r"n_participants must be between 1 and 99\. Received: n_participants=0",
        ),
        ({"n_participants": 2.0}, r"n_participants must be int"),
        ({"seed": -1}, r"seed must be >= 0\. Received: seed=-1"),
        ({"video_s": 0}, r"video_s must be > 0\. Received: video_s=0"),
    ],
)
def test_bad_arguments(tmp_path, kwargs, message):
    with pytest.raises((TypeError, ValueError), match=message):
        write_synthetic_amigos(tmp_path, **kwargs)
