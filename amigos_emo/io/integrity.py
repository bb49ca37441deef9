"""One check for what may enter a dataset: finite float32 samples, labels on the corpus's scale.

Every builder (and ``predict``) passes each modality of a trial through :func:`finite_float32`
after reading it, and each trial's ratings through :func:`check_scale`. A corpus with known holes
(AMIGOS's NaN trials, for one) catches :class:`NonFiniteError`, skips the trial and counts it with
a :class:`SkipCounter`; every other corpus lets it propagate, so a bad file stops the build with a
message naming the file, the trial and the modality.

Example::

    eeg = finite_float32(raw_eeg, path, field="joined_data{3}", modality="EEG")
    check_scale(ratings, (1.0, 9.0), path, field="labels_selfassessment{3}", names=("arousal", "valence"))
"""

from __future__ import annotations

import numpy as np

from amigos_emo._logging import logger
from amigos_emo.io.errors import CorpusFormatError

FLOAT32_MAX = float(np.finfo(np.float32).max)


class NonFiniteError(CorpusFormatError):
    """A signal holds NaN or infinite samples, or values that overflow float32."""


class LabelScaleError(CorpusFormatError):
    """A rating or label lies outside the corpus's documented scale."""


def finite_float32(values, path, *, field=None, modality=None):
    """``values`` as float32, refusing NaN, +/-inf and values beyond float32's range.

    The check runs on the float32 result, so a float64 value that overflows float32 (and would be
    written as inf) is caught too.

    Args:
        values: array-like signal of any shape.
        path: the file it came from (named in the error).
        field: the field or trial inside the file, e.g. ``"joined_data{3}"`` or ``"trial 5"``.
        modality: e.g. ``"EEG"``, ``"ECG"``; named in the error.

    Returns:
        ``float32`` ndarray with only finite values.

    Raises:
        NonFiniteError: naming file, field, modality, how many samples and the first position.
    """
    array = np.asarray(values)
    if array.dtype.kind not in "biuf":
        raise NonFiniteError(
            path,
            f"{modality or 'signal'} is not numeric",
            field=field,
            expected="numbers",
            found=f"dtype {array.dtype}",
        )
    with np.errstate(over="ignore", invalid="ignore"):
        cast = array.astype(np.float32, copy=False)
    bad = ~np.isfinite(cast)
    if bad.any():
        n_nan = int(np.isnan(array).sum()) if array.dtype.kind == "f" else 0
        n_bad = int(bad.sum())
        first = tuple(int(i) for i in np.argwhere(bad)[0])
        kinds = []
        if n_nan:
            kinds.append(f"{n_nan} NaN")
        if n_bad - n_nan:
            kinds.append(f"{n_bad - n_nan} infinite or beyond float32 (|x| > {FLOAT32_MAX:.3g})")
        raise NonFiniteError(
            path,
            f"{modality or 'signal'} holds non-finite samples",
            field=field,
            expected="finite values",
            found=f"{' and '.join(kinds)} of {array.size}, first at index {first}",
        )
    return cast


def check_scale(values, scale, path, *, field=None, names=None):
    """Refuse ratings outside ``scale = (low, high)`` (inclusive) or that are not finite.

    Args:
        values: a rating or array of ratings (one trial's).
        scale: ``(low, high)``, the corpus's documented scale, e.g. ``(1, 9)``.
        path, field: named in the error.
        names: optional names of the entries (``("valence", "arousal")``) for the message.

    Returns:
        The values as a float64 array.

    Raises:
        LabelScaleError: naming the rating, the scale and the value found.
    """
    array = np.atleast_1d(np.asarray(values, dtype=np.float64))
    low, high = float(scale[0]), float(scale[1])
    bad = ~np.isfinite(array) | (array < low) | (array > high)
    if bad.any():
        i = int(np.flatnonzero(bad.ravel())[0])
        what = names[i] if names is not None and i < len(names) else f"rating {i}"
        raise LabelScaleError(
            path,
            f"{what} is outside the corpus's scale",
            field=field,
            expected=f"a value in [{low:g}, {high:g}]",
            found=repr(float(array.ravel()[i])),
        )
    return array


def check_codes(values, allowed, path, *, field=None, names=None):
    """Refuse label codes that are not among ``allowed`` (e.g. SEED's -1/0/1, SEED-IV's 0..3).

    Args:
        values: a code or an array of codes.
        allowed: the valid codes (any iterable of ints).
        path, field: named in the error.
        names: optional class names, shown beside the allowed codes in the message.

    Returns:
        The codes as an int64 array.

    Raises:
        LabelScaleError: naming the first bad code and the allowed ones.
    """
    array = np.atleast_1d(np.asarray(values))
    allowed = sorted(int(a) for a in allowed)
    numeric = array.dtype.kind in "biuf"
    bad = ~np.isin(array, allowed) if numeric else np.ones(array.shape, bool)
    if numeric and array.dtype.kind == "f":
        bad |= ~np.isfinite(array)
    if bad.any():
        i = int(np.flatnonzero(bad.ravel())[0])
        shown = ", ".join(
            f"{a} ({names[k]})" if names is not None and k < len(names) else str(a)
            for k, a in enumerate(allowed)
        )
        raise LabelScaleError(
            path,
            "label code outside the corpus's classes",
            field=field,
            expected=f"one of {shown}",
            found=repr(array.ravel()[i].item() if numeric else array.ravel()[i]),
        )
    return array.astype(np.int64)


class SkipCounter:
    """Count skipped trials by reason and warn once per build with the totals.

    Only for corpora known to have holes (their README says which). Example::

        skips = SkipCounter("amigos")
        try:
            eeg = finite_float32(...)
        except NonFiniteError as error:
            skips.skip(error)
            continue
        ...
        skips.report()  # one warning: "amigos: skipped 3 trial(s): 2 non-finite, 1 empty"
    """

    def __init__(self, corpus):
        self.corpus = corpus
        self.reasons = {}
        self.examples = {}
        self.where = {}

    def skip(self, reason, detail=None, where=None):
        """Record one skipped trial.

        Args:
            reason: a short key or an exception (its class names it).
            detail: the text shown for the first skip of this reason (default: ``reason``).
            where: which trial, e.g. ``5`` or ``"trial 5"``; the report lists them per reason.
        """
        key = reason if isinstance(reason, str) else type(reason).__name__
        self.reasons[key] = self.reasons.get(key, 0) + 1
        self.examples.setdefault(key, str(detail if detail is not None else reason))
        if where is not None:
            self.where.setdefault(key, []).append(where)

    @property
    def total(self):
        return sum(self.reasons.values())

    def report(self):
        """Log one warning with the counts (nothing when no trial was skipped); returns the counts."""
        if self.total:
            parts = "; ".join(
                f"{n} {key}" + (f": trials {self.where[key]}" if key in self.where else "")
                for key, n in sorted(self.reasons.items())
            )
            first = "; ".join(
                f"{key}: {text}" for key, text in sorted(self.examples.items()) if text != key
            )
            logger.warning(
                "%s: skipped %d trial(s) (%s).%s No label is made up for them.",
                self.corpus,
                self.total,
                parts,
                f" First of each: {first.rstrip('.')}." if first else "",
            )
        return dict(self.reasons)
