"""Evaluation protocols: who trains, who validates, who is tested, in every fold.

Subject-independent protocols are the default. Each fold is a :class:`Fold` naming the
per-subject TFDS splits (``subject_XX``) of each part. The one protocol that mixes windows of
the same subjects across train and test (``random-window``) is marked ``leaky`` and every
report prints that in capitals.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from amigos_emo._checks import check_option

PROTOCOLS = ("subject-split", "loso", "kfold", "random-window")
LEAKY_PROTOCOLS = ("random-window",)


@dataclasses.dataclass(frozen=True)
class Fold:
    """One train/validation/test assignment.

    Attributes:
        index: 0-based fold number.
        train, validation, test: tuples of subject split names (``subject_XX``).
        leaky: True when the same subjects appear in train and test (random-window protocol);
            then ``window_fractions`` says how their windows are divided.
        window_fractions: (train, validation, test) fractions of every subject's windows, for
            the leaky protocol only.
    """

    index: int
    train: tuple
    validation: tuple
    test: tuple
    leaky: bool = False
    window_fractions: tuple | None = None

    def describe(self):
        if self.leaky:
            return (
                f"fold {self.index}: RANDOM WINDOWS of {len(self.train)} subjects "
                f"(train/val/test fractions {self.window_fractions}) - LEAKY"
            )
        return (
            f"fold {self.index}: train {len(self.train)} subjects, validate on "
            f"{', '.join(self.validation)}, test on {', '.join(self.test)}"
        )


def _count(n, fraction, minimum=1):
    return max(minimum, int(round(n * fraction)))


def make_folds(protocol, subjects, seed=0, n_folds=5, val_fraction=0.15, test_fraction=0.15):
    """Build the folds of ``protocol`` over ``subjects``.

    Args:
        protocol: ``"subject-split"`` (one fold; ``1 - val - test`` of the subjects train,
            ``val_fraction`` validate, ``test_fraction`` test: 70/15/15 by default, as
            ResAttentioNet's protocol), ``"loso"`` (leave one subject out: one fold per subject;
            ``val_fraction`` of the remaining subjects validate), ``"kfold"`` (``n_folds`` folds
            across subjects) or ``"random-window"`` (LEAKY: every subject's windows are split
            at random; reported as leaky).
        subjects: per-subject split names.
        seed: the subject permutation's seed (same seed, same folds).

    Returns:
        list of :class:`Fold`.
    """
    check_option(protocol, PROTOCOLS, "protocol")
    subjects = tuple(sorted(subjects))
    n = len(subjects)
    if protocol == "random-window":
        fractions = (1.0 - val_fraction - test_fraction, val_fraction, test_fraction)
        return [Fold(0, subjects, subjects, subjects, leaky=True, window_fractions=fractions)]
    minimum = 3 if protocol != "loso" else 3
    if n < minimum:
        raise ValueError(
            f"protocol={protocol!r} needs at least {minimum} subjects (train, validation, test). "
            f"Received: {n} subject split(s): {', '.join(subjects) or '(none)'}"
        )
    rng = np.random.default_rng(seed)
    order = [subjects[i] for i in rng.permutation(n)]
    folds = []
    if protocol == "subject-split":
        n_test = _count(n, test_fraction)
        n_val = _count(n, val_fraction)
        test, val, train = order[:n_test], order[n_test : n_test + n_val], order[n_test + n_val :]
        folds.append(Fold(0, tuple(sorted(train)), tuple(sorted(val)), tuple(sorted(test))))
    elif protocol == "loso":
        for index, held_out in enumerate(subjects):
            rest = [s for s in order if s != held_out]
            n_val = _count(len(rest), val_fraction)
            val, train = rest[:n_val], rest[n_val:]
            folds.append(Fold(index, tuple(sorted(train)), tuple(sorted(val)), (held_out,)))
    else:  # kfold across subjects
        if not 2 <= n_folds <= n:
            raise ValueError(f"n_folds must be in [2, {n}] for {n} subjects. Received: n_folds={n_folds}")
        parts = np.array_split(np.arange(n), n_folds)
        for index, part in enumerate(parts):
            test = [order[i] for i in part]
            rest = [s for s in order if s not in test]
            n_val = _count(len(rest), val_fraction)
            val, train = rest[:n_val], rest[n_val:]
            folds.append(Fold(index, tuple(sorted(train)), tuple(sorted(val)), tuple(sorted(test))))
    return folds
