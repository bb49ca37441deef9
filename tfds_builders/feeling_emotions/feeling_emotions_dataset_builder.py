"""Kaggle "EEG Brainwave Dataset: Feeling Emotions" (``emotions.csv``): precomputed features only."""

from __future__ import annotations

import os
import pathlib
import re

import numpy as np
import tensorflow_datasets as tfds
from etils import epath

from amigos_emo._logging import logger
from amigos_emo.constants import feeling_emotions as constants
from amigos_emo.io.errors import CorpusFormatError, describe_cell
from amigos_emo.io.integrity import check_codes, finite_float32
from amigos_emo.tfds_builders.corpus import (
    FEATURE_VECTOR_AXES,
    CorpusBuilderMixin,
    index_features,
)

_DESCRIPTION = """\
EEG Brainwave Dataset: Feeling Emotions (J. J. Bird et al., Kaggle `emotions.csv`): 2132 rows of
2548 features precomputed from Muse headband windows (TP9, AF7, AF8, TP10; 256 Hz) of two adults
watching positive, neutral or negative film clips; label NEGATIVE 0, NEUTRAL 1, POSITIVE 2.

WARNING: THE FILE HAS NO SUBJECT, RECORDING OR TIME COLUMN. Rows of the two people and
overlapping windows of the same recording cannot be told apart, so only random (leaky) splits of
rows are possible: no subject-independent or trial-wise evaluation. There is one split, `train`
(all rows); `subject_id`, `session_id`, `trial_id` and `window_index` are 0 ("unknown") on every
example and `row_index` is the 0-based data row of the CSV.
"""

_MANUAL_DOWNLOAD_INSTRUCTIONS = """\
Download `emotions.csv` from Kaggle (dataset `birdy654/eeg-brainwave-dataset-feeling-emotions`,
"EEG Brainwave Dataset: Feeling Emotions"; accept the dataset's licence on Kaggle) and point
`manual_dir` at the folder that contains it (searched recursively; exactly one `emotions.csv`).
"""

# First token of every feature name in the release (mean_d_*, max_q_* etc. start with these).
_FEATURE_FAMILIES = (
    "mean",
    "stddev",
    "moments",
    "max",
    "min",
    "covmat",
    "eigen",
    "logm",
    "entropy",
    "correlate",
    "fft",
)
_FFT_B_BLOCK = tuple(f"fft_{k}_b" for k in range(750))


def find_csv(manual_dir):
    """The one ``emotions.csv`` under ``manual_dir`` (recursive); error for none or several."""
    manual_dir = pathlib.Path(os.fspath(manual_dir))
    found = sorted(manual_dir.rglob(constants.FILE_NAME))
    if len(found) != 1:
        raise CorpusFormatError(
            manual_dir,
            f"expected exactly one {constants.FILE_NAME} (searched recursively)",
            expected="1 file",
            found=f"{len(found)}" + (": " + ", ".join(str(p) for p in found) if found else ""),
            hint="Point manual_dir at the folder holding the Kaggle emotions.csv.",
        )
    return found[0]


def check_header(path, columns):
    """Validate the header of ``emotions.csv`` and return the cleaned feature names.

    Args:
        path: the CSV (for messages).
        columns: the header as read by pandas (``# mean_0_a`` ... ``fft_749_b``, ``label``).

    Returns:
        tuple of 2548 feature names with the leading ``"# "`` of the first one stripped.

    Raises:
        CorpusFormatError: ``label`` missing or not last, wrong number of feature columns,
            empty/duplicate/unknown-family names, first/last feature or the ``fft_*_b`` block
            not as in the release.
    """
    columns = [str(c).strip() for c in columns]
    if constants.LABEL_COLUMN not in columns:
        raise CorpusFormatError(
            path,
            "column missing",
            field=constants.LABEL_COLUMN,
            expected="a 'label' column (the last)",
            found=f"last header {columns[-1]!r}",
        )
    if columns[-1] != constants.LABEL_COLUMN:
        raise CorpusFormatError(
            path,
            "'label' is not the last column",
            field=constants.LABEL_COLUMN,
            expected=f"column {constants.N_FEATURES + 1}",
            found=f"column {columns.index(constants.LABEL_COLUMN) + 1} of {len(columns)}",
        )
    names = [re.sub(r"^#\s*", "", c) for c in columns[:-1]]
    if len(names) != constants.N_FEATURES:
        raise CorpusFormatError(
            path,
            "wrong number of feature columns",
            field="header",
            expected=f"{constants.N_FEATURES} features + label",
            found=f"{len(names)} features + label",
        )
    if names[0] != constants.FIRST_FEATURE:
        raise CorpusFormatError(
            path,
            "unexpected first column",
            field="column 1",
            expected=f"{constants.FIRST_HEADER!r} (or {constants.FIRST_FEATURE!r})",
            found=repr(columns[0]),
        )
    for number, name in enumerate(names, start=1):
        family = name.split("_", 1)[0]
        if family not in _FEATURE_FAMILIES or name.startswith("Unnamed") or "_" not in name:
            raise CorpusFormatError(
                path,
                "unexpected feature name (renamed or empty header?)",
                field=f"column {number}",
                expected="a name starting with one of "
                + ", ".join(f"{f}_" for f in _FEATURE_FAMILIES),
                found=repr(columns[number - 1]),
            )
    duplicates = (
        sorted({n for n in names if names.count(n) > 1}) if len(set(names)) != len(names) else []
    )
    if duplicates:
        raise CorpusFormatError(
            path,
            "duplicate feature names",
            field="header",
            expected="unique names",
            found=", ".join(duplicates[:5]),
        )
    block = tuple(names[-len(_FFT_B_BLOCK) :])
    if block != _FFT_B_BLOCK:
        first_bad = next(
            i for i, (a, b) in enumerate(zip(block, _FFT_B_BLOCK, strict=True)) if a != b
        )
        number = constants.N_FEATURES - len(_FFT_B_BLOCK) + first_bad + 1
        raise CorpusFormatError(
            path,
            "the last 750 features must be fft_0_b ... fft_749_b in order",
            field=f"column {number}",
            expected=repr(_FFT_B_BLOCK[first_bad]),
            found=repr(block[first_bad]),
        )
    return tuple(names)


def read_emotions_csv(path):
    """Read and validate ``emotions.csv``.

    Returns:
        ``(feature_names, features, labels)``: tuple of 2548 str, float32 ``(n_rows, 2548)``,
        int64 ``(n_rows,)`` codes (NEGATIVE 0, NEUTRAL 1, POSITIVE 2).

    Raises:
        CorpusFormatError: see :func:`check_header`; rows with too many fields, missing or
            non-numeric feature values, unknown label strings (naming the row and column).
    """
    import pandas as pd

    path = pathlib.Path(path)
    try:
        # comment=None (the default, stated): '#' must not eat the first header "# mean_0_a".
        frame = pd.read_csv(
            path, comment=None, dtype={constants.LABEL_COLUMN: str}, low_memory=False
        )
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as error:
        raise CorpusFormatError(
            path,
            "cannot parse as CSV",
            expected=f"{constants.N_FEATURES + 1} comma-separated columns per row",
            found=str(error).strip(),
        ) from error
    feature_names = check_header(path, frame.columns)
    frame.columns = [*feature_names, constants.LABEL_COLUMN]
    values = (
        frame.iloc[:, : constants.N_FEATURES]
        .apply(pd.to_numeric, errors="coerce")
        .to_numpy(np.float64)
    )
    bad_rows, bad_cols = np.nonzero(~np.isfinite(values))
    if bad_rows.size:
        row, col = int(bad_rows[0]), int(bad_cols[0])
        raise CorpusFormatError(
            path,
            f"missing or non-numeric value at data row {row + 1} (line {row + 2}); {bad_rows.size} such cell(s) in all",
            field=f"{feature_names[col]} (column {col + 1})",
            expected="a finite number (a truncated or corrupt file?)",
            found=describe_cell(frame.iat[row, col]),
        )
    label_strings = frame[constants.LABEL_COLUMN].astype(str).str.strip()
    known = label_strings.isin(constants.LABEL_NAMES).to_numpy()
    if not known.all():
        row = int(np.argmin(known))
        raise CorpusFormatError(
            path,
            f"unknown label at data row {row + 1} (line {row + 2})",
            field=constants.LABEL_COLUMN,
            expected="one of " + ", ".join(constants.LABEL_NAMES),
            found=describe_cell(frame[constants.LABEL_COLUMN].iloc[row]),
        )
    labels = label_strings.map(constants.LABEL_CODES).to_numpy(np.int64)
    if len(frame) != constants.N_ROWS:
        logger.info("%s has %d rows; the Kaggle release has %d", path, len(frame), constants.N_ROWS)
    labels = check_codes(
        labels,
        range(len(constants.LABEL_NAMES)),
        path,
        field=constants.LABEL_COLUMN,
        names=constants.LABEL_NAMES,
    )
    # Checked again after the cast: a value beyond float32's range would be written as inf.
    return (
        feature_names,
        finite_float32(values, path, field="feature columns", modality="features"),
        labels,
    )


class Builder(CorpusBuilderMixin, tfds.core.GeneratorBasedBuilder):
    """DatasetBuilder for the Kaggle Feeling Emotions ``emotions.csv`` (no subject column)."""

    pkg_dir_path = epath.Path(__file__).parent
    VERSION = tfds.core.Version("1.0.1")
    RELEASE_NOTES = {
        "1.0.0": "Initial release: one `train` split of all rows.",
        "1.0.1": "Feature values beyond float32's range are refused like NaN (nothing else written changes).",
    }
    MANUAL_DOWNLOAD_INSTRUCTIONS = _MANUAL_DOWNLOAD_INSTRUCTIONS
    DEFAULT_MODEL = "gru_classifier"
    NORMALISATION_AXES = {"features": FEATURE_VECTOR_AXES}
    SOURCE_FILES = "emotions.csv (exactly one, any depth)"

    def source_files(self, manual_dir):
        """The one ``emotions.csv`` below ``manual_dir``."""
        return [find_csv(manual_dir)]

    def preprocessing_spec(self):
        """Precomputed feature vectors only: no signal the model reads, no window the file states."""
        from amigos_emo.preprocessing_spec import PreprocessingSpec

        return PreprocessingSpec(
            dataset=self.name,
            builder_version=str(self.version),
            window_s=None,
            step_s=None,
            signals={},
            representation="features",
            baseline=None,
            extra={
                "n_features": constants.N_FEATURES,
                "source_channels": list(constants.SOURCE_CHANNELS),
                "source_sfreq_hz": constants.SOURCE_SFREQ_HZ,
                "note": "features precomputed by the corpus authors; the file states no window length",
            },
            normalisation_axes=self.normalisation_axes(),
        )

    def _info(self):
        return self.dataset_info_from_configs(
            description=_DESCRIPTION,
            features=tfds.features.FeaturesDict(
                {
                    "features": tfds.features.Tensor(
                        shape=(constants.N_FEATURES,), dtype=np.float32
                    ),
                    "label": tfds.features.ClassLabel(names=constants.LABEL_NAMES),
                    "row_index": np.int32,
                    **index_features(),
                }
            ),
            supervised_keys=("features", "label"),
            homepage="https://www.kaggle.com/datasets/birdy654/eeg-brainwave-dataset-feeling-emotions",
            metadata=tfds.core.MetadataDict(),
        )

    def _split_generators(self, dl_manager):
        path = find_csv(dl_manager.manual_dir)
        logger.warning(
            "emotions.csv has no subject column: only random (leaky) row splits are possible; "
            "the builder writes one 'train' split with subject_id 0 (unknown)."
        )
        return {"train": self._generate_examples(path)}

    def _generate_examples(self, path):
        feature_names, features, labels = read_emotions_csv(path)
        self.info.metadata["feature_names"] = list(feature_names)
        for row_index, (vector, label) in enumerate(zip(features, labels, strict=True)):
            yield (
                str(row_index),
                {
                    "features": vector,
                    "label": int(label),
                    "row_index": row_index,
                    "subject_id": 0,
                    "session_id": 0,
                    "trial_id": 0,
                    "window_index": 0,
                },
            )
