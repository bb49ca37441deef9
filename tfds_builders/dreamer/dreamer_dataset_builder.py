"""DREAMER as a TFDS builder: 1 s raw EEG/ECG windows, or per-trial graph inputs for VAE-GNN.

Reads the single ``DREAMER.mat`` struct. ``Data`` is a 1 x 23 cell of
1 x 1 structs in the release; a file with ``Data`` as a 1 x 23 struct array reads the same
(both are reached through ``loadmat(squeeze_me=True, struct_as_record=False)``).
See ``README.md`` beside this file for label codes, windowing and protocols.
"""

from __future__ import annotations

import dataclasses
import os
import pathlib

import numpy as np
import tensorflow_datasets as tfds
from etils import epath

from amigos_emo._logging import logger
from amigos_emo.constants import dreamer as dreamer_constants
from amigos_emo.io.errors import CorpusFormatError
from amigos_emo.io.integrity import check_scale, finite_float32
from amigos_emo.tfds_builders.corpus import (
    SIGNAL_NORMALISATION_AXES,
    CorpusBuilderMixin,
    index_features,
)

_DESCRIPTION = """
DREAMER: 23 participants watched 18 film clips while 14-channel EEG (Emotiv EPOC, 128 Hz) and
2-lead ECG (256 Hz) were recorded, each clip preceded by a 61 s neutral baseline clip. Scores:
valence, arousal, dominance (integers 1-5); high means score >= 3. One split per subject.
"""

_MANUAL_DOWNLOAD_INSTRUCTIONS = """
DREAMER is distributed by its authors on Zenodo (record 546113) under a licence restricted to
academic research; access is granted on request.
1. Request access at https://zenodo.org/record/546113 and accept the terms.
2. Download `DREAMER.mat` (one MATLAB file, ~450 MB).
3. Point `manual_dir` at the folder that holds it (any depth below it is searched).
"""

_SUBJECT_FIELDS = ("EEG", "ECG", "ScoreValence", "ScoreArousal", "ScoreDominance")


@dataclasses.dataclass(eq=False)
class DreamerConfig(tfds.core.BuilderConfig):
    """What is written per example.

    Attributes:
        representation: ``"raw"`` (1 s windows) or ``"graph"`` (one VAE-GNN example per trial).
        window_s: raw window length and hop in seconds (``raw`` only; no overlap).
        graph_samples: EEG samples at the end of each stimulus used by ``graph``.
        subwindow_samples: ``graph`` node features are the DE of sub-windows of this length.
        mi_bins: equal-width histogram bins per channel for the MI adjacency (``graph``).
    """

    representation: str = "raw"
    window_s: float = 1.0
    graph_samples: int = dreamer_constants.GRAPH_SAMPLES
    subwindow_samples: int = dreamer_constants.GRAPH_SUBWINDOW_SAMPLES
    mi_bins: int = dreamer_constants.GRAPH_MI_BINS


RAW_CONFIG = DreamerConfig(
    name="raw",
    description=(
        "1 s windows, no overlap, from the start of each stimulus: eeg (128, 14) minus the "
        "baseline template (mean of the 61 one-second windows of the baseline clip) and ecg "
        "(256, 2) of the same second, as recorded."
    ),
    representation="raw",
)
GRAPH_CONFIG = DreamerConfig(
    name="graph",
    description=(
        "VAE-GNN input, one example per trial from the last 1280 EEG samples (10 s) of the "
        "stimulus: eeg_grid (1280, 9, 9), node_features (5, 14, 10) = DE of each 1 s sub-window "
        "per band, adjacency (5, 14, 14) = normalised MI of the band-filtered signal; binary "
        "valence/arousal (score >= 3)."
    ),
    representation="graph",
)


def find_dreamer_file(manual_dir):
    """The one ``DREAMER.mat`` below ``manual_dir`` (searched recursively).

    Raises:
        CorpusFormatError: none found, or more than one.
    """
    manual_dir = pathlib.Path(os.fspath(manual_dir))
    matches = sorted(
        path
        for path in manual_dir.rglob("*")
        if path.name.lower() == dreamer_constants.FILE_NAME.lower() and path.is_file()
    )
    if not matches:
        raise CorpusFormatError(
            manual_dir,
            "no DREAMER.mat found (searched recursively)",
            expected="the file DREAMER.mat from the DREAMER release",
            hint=_MANUAL_DOWNLOAD_INSTRUCTIONS.strip(),
        )
    if len(matches) > 1:
        raise CorpusFormatError(
            manual_dir,
            "more than one DREAMER.mat found",
            expected="exactly one",
            found=", ".join(map(str, matches)),
            hint="Keep one copy under manual_dir.",
        )
    return matches[0]


def _items(value):
    """A squeezed MATLAB cell / struct array as a list (a single squeezed element -> [element])."""
    if isinstance(value, np.ndarray) and value.dtype == object:
        return list(value.ravel(order="F"))
    return [value]


def _field(struct, name, path, where):
    if not hasattr(struct, "_fieldnames") or name not in struct._fieldnames:
        found = getattr(struct, "_fieldnames", None)
        raise CorpusFormatError(
            path,
            f"missing field {name!r}",
            field=where,
            expected=f"a struct with field {name!r}",
            found=f"fields {found}" if found is not None else f"a {type(struct).__name__}",
        )
    return getattr(struct, name)


def load_dreamer(path):
    """Read ``DREAMER.mat`` and check its top level.

    Returns:
        ``(subjects, electrodes)``: a list of per-subject structs (attribute access, 1-based
        subject number = list index + 1) and the electrode names.

    Raises:
        CorpusFormatError: unreadable file, missing fields, or sampling rates/electrodes other
            than DREAMER's 128 Hz / 256 Hz / 14 Emotiv channels.
    """
    from amigos_emo.io.matlab import load_mat

    contents = load_mat(path, variables=["DREAMER"], squeeze_me=True, struct_as_record=False)
    top = contents["DREAMER"]
    subjects = _items(_field(top, "Data", path, "DREAMER"))
    if not subjects or not all(hasattr(s, "_fieldnames") for s in subjects):
        raise CorpusFormatError(
            path,
            "DREAMER.Data is not a list of subject structs",
            field="DREAMER.Data",
            expected="a 1 x 23 cell of 1 x 1 structs (or a 1 x 23 struct array)",
            found=f"{type(top.Data).__name__} {getattr(top.Data, 'shape', '')}",
        )
    for name, expected in (
        ("EEG_SamplingRate", dreamer_constants.SFREQ_HZ),
        ("ECG_SamplingRate", dreamer_constants.ECG_SFREQ_HZ),
    ):
        if name in top._fieldnames and float(np.asarray(getattr(top, name)).ravel()[0]) != expected:
            raise CorpusFormatError(
                path,
                "unexpected sampling rate",
                field=f"DREAMER.{name}",
                expected=f"{expected:g} Hz",
                found=f"{np.asarray(getattr(top, name)).ravel()[0]} Hz",
            )
    if "noOfSubjects" in top._fieldnames and int(np.asarray(top.noOfSubjects).ravel()[0]) != len(
        subjects
    ):
        logger.warning(
            "%s: DREAMER.noOfSubjects says %s but Data holds %d subjects; using Data.",
            path,
            np.asarray(top.noOfSubjects).ravel()[0],
            len(subjects),
        )
    electrodes = dreamer_constants.EEG_CHANNELS
    if "EEG_Electrodes" in top._fieldnames:
        names = tuple(str(n).strip() for n in np.asarray(top.EEG_Electrodes, dtype=object).ravel())
        if tuple(n.upper() for n in names) != tuple(n.upper() for n in electrodes):
            raise CorpusFormatError(
                path,
                "unexpected electrode list",
                field="DREAMER.EEG_Electrodes",
                expected=", ".join(electrodes),
                found=", ".join(names),
            )
    return subjects, electrodes


def subject_trials(record, path, subject):
    """The checked trials of one subject struct, as a list of dicts (float64 arrays, time-major).

    Each dict: ``trial_id`` (1-based), ``eeg`` (T, 14), ``eeg_baseline`` (B, 14), ``ecg``
    (N, 2), ``ecg_baseline`` (M, 2), ``scores`` (valence, arousal, dominance) float64.
    """
    where = f"DREAMER.Data{{{subject}}}"
    for name in _SUBJECT_FIELDS:
        _field(record, name, path, where)
    signals = {}
    for modality, n_chans in (("EEG", 14), ("ECG", 2)):
        struct = record.EEG if modality == "EEG" else record.ECG
        for part in ("stimuli", "baseline"):
            field = f"{where}.{modality}.{part}"
            arrays = _items(_field(struct, part, path, f"{where}.{modality}"))
            for index, array in enumerate(arrays):
                array = np.asarray(array)
                if array.ndim != 2 or array.shape[1] != n_chans or array.dtype.kind not in "fiu":
                    raise CorpusFormatError(
                        path,
                        "unexpected trial array",
                        field=f"{field}{{{index + 1}}}",
                        expected=f"a numeric (n_times, {n_chans}) array (time x channel)",
                        found=f"{array.dtype} array of shape {array.shape}",
                    )
                arrays[index] = array.astype(np.float64)
            signals[(modality, part)] = arrays
    scores = [
        np.atleast_1d(
            np.asarray(getattr(record, dreamer_constants.SCORE_FIELDS[name]), dtype=np.float64)
        ).ravel()
        for name in ("valence", "arousal", "dominance")
    ]
    counts = {f"{m}.{p}": len(a) for (m, p), a in signals.items()}
    counts.update(
        {
            field: len(s)
            for field, s in zip(
                ("ScoreValence", "ScoreArousal", "ScoreDominance"), scores, strict=True
            )
        }
    )
    if len(set(counts.values())) != 1:
        raise CorpusFormatError(
            path,
            "the clip count differs between fields",
            field=where,
            expected="the same number of clips (18) in every field",
            found=", ".join(f"{k}: {v}" for k, v in counts.items()),
        )
    trials = []
    for index in range(len(scores[0])):
        trial_scores = check_scale(
            [s[index] for s in scores],
            dreamer_constants.SCORE_SCALE,
            path,
            field=f"{where}.Score*({index + 1})",
            names=("valence", "arousal", "dominance"),
        )
        # DREAMER has no known holes: a non-finite sample in any modality (the baseline too, whose
        # template is subtracted from every window) means a corrupt file and stops the build.
        for (modality, part), arrays in signals.items():
            finite_float32(
                arrays[index],
                path,
                field=f"{where}.{modality}.{part}{{{index + 1}}}",
                modality=modality,
            )
        trials.append(
            {
                "trial_id": index + 1,
                "eeg": signals[("EEG", "stimuli")][index],
                "eeg_baseline": signals[("EEG", "baseline")][index],
                "ecg": signals[("ECG", "stimuli")][index],
                "ecg_baseline": signals[("ECG", "baseline")][index],
                "scores": trial_scores,
            }
        )
    return trials


def graph_inputs(eeg, sfreq, electrodes, graph_samples, subwindow_samples, mi_bins):
    """VAE-GNN inputs of one trial.

    Args:
        eeg: (n_times, n_chans) stimulus EEG, microvolts; ``n_times >= graph_samples``.
        sfreq: sampling rate in Hz.
        electrodes: the ``n_chans`` electrode names (placed with :mod:`amigos_emo.constants.grid`).
        graph_samples: samples at the end of the stimulus that are used.
        subwindow_samples: node features are the DE of non-overlapping sub-windows this long.
        mi_bins: histogram bins for the mutual information.

    Returns:
        dict with ``eeg_grid`` (graph_samples, 9, 9), ``node_features`` (5, n_chans,
        graph_samples // subwindow_samples) and ``adjacency`` (5, n_chans, n_chans), float32.
        Bands: delta, theta, alpha, beta, gamma (``constants.common.FREQUENCY_BANDS``). The
        adjacency of a band is the MI between channels of the band-passed (zero-phase, order 4,
        filtered over the whole stimulus, then cut) last ``graph_samples``, normalised as
        D^-1/2 (A + I) D^-1/2.
    """
    from amigos_emo.constants.common import FREQUENCY_BANDS
    from amigos_emo.constants.grid import GRID_SHAPE, grid_indices
    from amigos_emo.signal.filters import bandpass
    from amigos_emo.signal.graph import mutual_information_adjacency, normalize_adjacency
    from amigos_emo.signal.spectral import differential_entropy
    from amigos_emo.signal.windows import sliding_windows

    last = eeg[-graph_samples:]
    rows, columns = grid_indices(electrodes)
    grid = np.zeros((graph_samples,) + GRID_SHAPE, dtype=np.float32)
    grid[:, rows, columns] = last
    windows = sliding_windows(last, subwindow_samples, subwindow_samples)
    node_features = differential_entropy(windows, sfreq)  # (n_sub, n_chans, 5)
    adjacency = np.stack(
        [
            mutual_information_adjacency(
                bandpass(eeg, sfreq, low, high)[-graph_samples:], n_bins=mi_bins
            )
            for low, high in FREQUENCY_BANDS.values()
        ]
    )
    return {
        "eeg_grid": grid,
        "node_features": np.transpose(node_features, (2, 1, 0)).astype(np.float32),
        "adjacency": normalize_adjacency(adjacency).astype(np.float32),
    }


class Builder(CorpusBuilderMixin, tfds.core.GeneratorBasedBuilder):
    """DREAMER."""

    pkg_dir_path = epath.Path(__file__).parent
    VERSION = tfds.core.Version("1.1.0")
    RELEASE_NOTES = {
        "1.0.0": "Initial release: raw 1 s EEG/ECG windows and VAE-GNN graph inputs.",
        "1.1.0": "Every modality (EEG and ECG, stimuli and baselines) is checked: NaN/inf or "
        "float32-overflowing samples, or a NaN score, stop the build naming the subject and clip "
        "(NaN ECG was written before, and a NaN baseline spread into every window).",
    }
    MANUAL_DOWNLOAD_INSTRUCTIONS = _MANUAL_DOWNLOAD_INSTRUCTIONS
    BUILDER_CONFIGS = [RAW_CONFIG, GRAPH_CONFIG]
    DEFAULT_BUILDER_CONFIG_NAME = "graph"
    DEFAULT_MODEL = "vae_gnn"
    NORMALISATION_AXES = {
        **SIGNAL_NORMALISATION_AXES,
        "eeg_grid": (0,),  # (n_times, 9, 9): per grid cell
        "node_features": (2,),  # (n_bands, n_nodes, n_feats): per band and node
        "adjacency": None,  # already normalised by the builder
    }
    SOURCE_FILES = "DREAMER.mat (any depth)"

    def source_files(self, manual_dir):
        """The one ``DREAMER.mat`` below ``manual_dir``."""
        return [find_dreamer_file(manual_dir)]

    def preprocessing_spec(self):
        """Raw: EEG (minus the baseline template) and ECG windows; graph: VAE-GNN inputs."""
        from amigos_emo.preprocessing_spec import PreprocessingSpec, SignalSpec

        config = self.builder_config
        eeg = SignalSpec("eeg", dreamer_constants.EEG_CHANNELS, dreamer_constants.SFREQ_HZ, "uV")
        if config.representation == "raw":
            signals = {
                "eeg": eeg,
                "ecg": SignalSpec(
                    "ecg", dreamer_constants.ECG_CHANNELS, dreamer_constants.ECG_SFREQ_HZ
                ),
            }
            window_s = config.window_s
            baseline = {
                "seconds": None,
                "template_s": config.window_s,
                "applies_to": ["eeg"],
                "kind": "subtract_template",
            }
            extra = {}
        else:
            signals = {"eeg": eeg}
            window_s = config.graph_samples / dreamer_constants.SFREQ_HZ
            baseline = None
            extra = {
                "graph": {
                    "graph_samples": config.graph_samples,
                    "subwindow_samples": config.subwindow_samples,
                    "mi_bins": config.mi_bins,
                    "segment": "last graph_samples of the stimulus",
                }
            }
        return PreprocessingSpec(
            dataset=f"{self.name}/{config.name}",
            builder_version=str(self.version),
            window_s=window_s,
            step_s=window_s,
            signals=signals,
            representation=config.representation,
            baseline=baseline,
            extra=extra,
            normalisation_axes=self.normalisation_axes(),
        )

    def _info(self) -> tfds.core.DatasetInfo:
        config = self.builder_config
        n_eeg = len(dreamer_constants.EEG_CHANNELS)
        features = {
            **index_features(),
            "label": tfds.features.ClassLabel(names=dreamer_constants.QUADRANT_NAMES),
        }
        if config.representation == "raw":
            eeg_samples = int(round(config.window_s * dreamer_constants.SFREQ_HZ))
            ecg_samples = int(round(config.window_s * dreamer_constants.ECG_SFREQ_HZ))
            features["eeg"] = tfds.features.Tensor(shape=(eeg_samples, n_eeg), dtype=np.float32)
            features["ecg"] = tfds.features.Tensor(
                shape=(ecg_samples, len(dreamer_constants.ECG_CHANNELS)), dtype=np.float32
            )
            for name in ("valence", "arousal", "dominance"):
                features[name] = tfds.features.Scalar(np.float32)
            supervised = ("eeg", "label")
        else:
            n_node_feats = config.graph_samples // config.subwindow_samples
            features["eeg_grid"] = tfds.features.Tensor(
                shape=(config.graph_samples, 9, 9), dtype=np.float32
            )
            features["node_features"] = tfds.features.Tensor(
                shape=(5, n_eeg, n_node_feats), dtype=np.float32
            )
            features["adjacency"] = tfds.features.Tensor(shape=(5, n_eeg, n_eeg), dtype=np.float32)
            features["valence"] = tfds.features.ClassLabel(names=("low", "high"))
            features["arousal"] = tfds.features.ClassLabel(names=("low", "high"))
            for name in ("valence", "arousal", "dominance"):
                features[f"{name}_score"] = tfds.features.Scalar(np.float32)
            supervised = None
        return self.dataset_info_from_configs(
            description=_DESCRIPTION,
            features=tfds.features.FeaturesDict(features),
            supervised_keys=supervised,
            homepage="https://zenodo.org/record/546113",
        )

    def _split_generators(self, dl_manager: tfds.download.DownloadManager):
        path = find_dreamer_file(dl_manager.manual_dir)
        subjects, electrodes = load_dreamer(path)
        logger.info("DREAMER: %s holds %d subjects", path, len(subjects))
        return {
            f"subject_{number:02d}": self._generate_examples(path, record, number, electrodes)
            for number, record in enumerate(subjects, start=1)
        }

    def _generate_examples(self, path, record, subject, electrodes):
        from amigos_emo.signal.windows import remove_baseline, sliding_windows

        config = self.builder_config
        eeg_sfreq = dreamer_constants.SFREQ_HZ
        for trial in subject_trials(record, path, subject):
            trial_id = trial["trial_id"]
            scores = trial["scores"]
            valence, arousal, dominance = scores
            common = {
                "subject_id": subject,
                "session_id": 1,
                "trial_id": trial_id,
                "label": int(dreamer_constants.quadrant_label(valence, arousal)),
            }
            if config.representation == "raw":
                eeg_samples = int(round(config.window_s * eeg_sfreq))
                ecg_samples = int(round(config.window_s * dreamer_constants.ECG_SFREQ_HZ))
                if trial["eeg_baseline"].shape[0] < eeg_samples:
                    raise CorpusFormatError(
                        path,
                        "baseline shorter than one window",
                        field=f"DREAMER.Data{{{subject}}}.EEG.baseline{{{trial_id}}}",
                        expected=f"at least {eeg_samples} samples (61 s = 7808 in the release)",
                        found=f"{trial['eeg_baseline'].shape[0]} samples",
                    )
                eeg = sliding_windows(trial["eeg"], eeg_samples, eeg_samples)
                ecg = sliding_windows(trial["ecg"], ecg_samples, ecg_samples)
                count = min(eeg.shape[0], ecg.shape[0])
                eeg = remove_baseline(eeg[:count], trial["eeg_baseline"]).astype(np.float32)
                ecg = ecg[:count].astype(np.float32)
                ratings = {"valence": valence, "arousal": arousal, "dominance": dominance}
                for window_index in range(count):
                    yield (
                        f"{subject:02d}_{trial_id:02d}_{window_index:03d}",
                        {
                            **common,
                            **{k: np.float32(v) for k, v in ratings.items()},
                            "window_index": window_index,
                            "eeg": eeg[window_index],
                            "ecg": ecg[window_index],
                        },
                    )
            else:
                if trial["eeg"].shape[0] < config.graph_samples:
                    raise CorpusFormatError(
                        path,
                        "stimulus shorter than the graph segment",
                        field=f"DREAMER.Data{{{subject}}}.EEG.stimuli{{{trial_id}}}",
                        expected=f"at least {config.graph_samples} samples",
                        found=f"{trial['eeg'].shape[0]} samples",
                    )
                inputs = graph_inputs(
                    trial["eeg"],
                    eeg_sfreq,
                    electrodes,
                    config.graph_samples,
                    config.subwindow_samples,
                    config.mi_bins,
                )
                yield (
                    f"{subject:02d}_{trial_id:02d}",
                    {
                        **common,
                        **inputs,
                        "window_index": 0,
                        "valence": int(dreamer_constants.is_high(valence)),
                        "arousal": int(dreamer_constants.is_high(arousal)),
                        "valence_score": np.float32(valence),
                        "arousal_score": np.float32(arousal),
                        "dominance_score": np.float32(dominance),
                    },
                )
