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

PROTOCOLS = (
    "subject-split",
    "loso",
    "kfold",
    "within-subject",
    "front-back",
    "cross-session",
    "random-window",
    "leave-one-corpus-out",
)
LEAKY_PROTOCOLS = ("random-window",)
# Protocols that split inside subjects by trial or session (they need each subject's trial ids).
TRIAL_PROTOCOLS = ("within-subject", "front-back", "cross-session")
SUBJECT_INDEPENDENT = ("subject-split", "loso", "kfold")


@dataclasses.dataclass(frozen=True)
class Fold:
    """One train/validation/test assignment.

    Attributes:
        index: 0-based fold number.
        train, validation, test: tuples of subject split names (``subject_XX``).
        leaky: True when windows of the same trials appear in train and test (random-window).
        select: optional per-part filters ``{"train"|"validation"|"test": {field: values}}``:
            an example is kept when its ``field`` (``trial_id``, ``session_id``) is one of
            ``values``; the field ``window_fraction`` takes ``[low, high)`` of a deterministic
            per-window hash in [0, 1) (random but reproducible window assignment).
        note: one line saying how the fold was made (printed and recorded).
    """

    index: int
    train: tuple
    validation: tuple
    test: tuple
    leaky: bool = False
    select: dict | None = None
    note: str = ""

    def describe(self):
        if self.leaky:
            return (
                f"fold {self.index}: RANDOM WINDOWS of {len(self.train)} subjects - LEAKY "
                f"(windows of the same trials are in train and test)"
            )
        text = (
            f"fold {self.index}: train {len(self.train)} subject(s), validate on "
            f"{', '.join(self.validation)}, test on {', '.join(self.test)}"
        )
        return f"{text}; {self.note}" if self.note else text


def _count(n, fraction, minimum=1):
    return max(minimum, int(round(n * fraction)))


def make_folds(
    protocol,
    subjects,
    seed=0,
    n_folds=5,
    val_fraction=0.15,
    test_fraction=0.15,
    trials=None,
    front_trials=9,
):
    """Build the folds of ``protocol`` over ``subjects``.

    Args:
        protocol: ``"subject-split"`` (one fold; ``1 - val - test`` of the subjects train,
            ``val_fraction`` validate, ``test_fraction`` test: 70/15/15 by default, as
            ResAttentioNet's protocol), ``"loso"`` (leave one subject out: one fold per subject;
            ``val_fraction`` of the remaining subjects validate, the ones that follow the
            held-out subject in the seeded order, so validation rotates across folds), ``"kfold"`` (``n_folds`` folds
            across subjects) or ``"random-window"`` (LEAKY: every subject's windows are split
            at random; reported as leaky). Subject-dependent protocols (need ``trials``):
            ``"within-subject"`` (per subject, ``n_folds`` folds over its trials, grouped by
            trial so no trial is split; ``n_folds`` >= the number of trials gives
            leave-one-trial-out; the next group validates), ``"front-back"`` (per subject, the
            first ``front_trials`` trials of every session train, the last of them validates,
            the rest test: SEED's 9/6 protocol) and ``"cross-session"`` (leave one session out
            across all subjects; 15 % of the training windows, by hash, validate).
        subjects: per-subject split names.
        seed: the subject permutation's seed (same seed, same folds).
        trials: subject split name -> sorted list of ``(session_id, trial_id)`` present.

    Returns:
        list of :class:`Fold`.
    """
    check_option(protocol, PROTOCOLS, "protocol")
    if protocol == "leave-one-corpus-out":
        raise ValueError(
            "protocol='leave-one-corpus-out' needs several corpora: --dataset A/CONFIG,B/CONFIG,... "
            "(see amigos_emo.training.multi_corpus)."
        )
    subjects = tuple(sorted(subjects))
    n = len(subjects)
    if protocol == "random-window":
        a, b = 1.0 - val_fraction - test_fraction, 1.0 - test_fraction
        select = {
            "train": {"window_fraction": [0.0, a]},
            "validation": {"window_fraction": [a, b]},
            "test": {"window_fraction": [b, 1.01]},
        }
        note = f"windows split {a:.0%}/{val_fraction:.0%}/{test_fraction:.0%} at random - LEAKY"
        return [Fold(0, subjects, subjects, subjects, leaky=True, select=select, note=note)]
    if protocol in TRIAL_PROTOCOLS:
        if trials is None:
            raise ValueError(f"protocol={protocol!r} needs each subject's trial ids (trials=...).")
        return _trial_folds(protocol, subjects, trials, n_folds, front_trials, val_fraction)
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
            # Validation rotates with the held-out subject: the n_val subjects that follow it in
            # the seeded order validate, so no one subject selects the model of every fold.
            position = order.index(held_out)
            val = [order[(position + k) % n] for k in range(1, n_val + 1)]
            train = [s for s in rest if s not in val]
            folds.append(Fold(index, tuple(sorted(train)), tuple(sorted(val)), (held_out,)))
    else:  # kfold across subjects
        if not 2 <= n_folds <= n:
            raise ValueError(
                f"n_folds must be in [2, {n}] for {n} subjects. Received: n_folds={n_folds}"
            )
        parts = np.array_split(np.arange(n), n_folds)
        for index, part in enumerate(parts):
            test = [order[i] for i in part]
            rest = [s for s in order if s not in test]
            n_val = _count(len(rest), val_fraction)
            val, train = rest[:n_val], rest[n_val:]
            folds.append(Fold(index, tuple(sorted(train)), tuple(sorted(val)), tuple(sorted(test))))
    return folds


def _trial_folds(protocol, subjects, trials, n_folds, front_trials, val_fraction):
    folds = []
    if protocol == "cross-session":
        sessions = sorted({session for s in subjects for session, _ in trials[s]})
        if len(sessions) < 2:
            raise ValueError(
                f"protocol='cross-session' needs at least 2 sessions. Received: sessions {sessions}"
            )
        for index, held_out in enumerate(sessions):
            rest = [x for x in sessions if x != held_out]
            select = {
                "train": {"session_id": rest, "window_fraction": [0.0, 1.0 - val_fraction]},
                "validation": {"session_id": rest, "window_fraction": [1.0 - val_fraction, 1.01]},
                "test": {"session_id": [held_out]},
            }
            note = f"sessions {rest} train (a hashed {val_fraction:.0%} of their windows validates), session {held_out} tests"
            folds.append(Fold(index, subjects, subjects, subjects, select=select, note=note))
        return folds
    for subject in subjects:
        trial_ids = sorted({trial for _, trial in trials[subject]})
        if protocol == "front-back":
            front = [t for t in trial_ids[:front_trials]]
            back = [t for t in trial_ids[front_trials:]]
            if len(front) < 2 or not back:
                raise ValueError(
                    f"protocol='front-back' needs more than {front_trials} trials per session. "
                    f"Received: {subject} with trials {trial_ids}"
                )
            select = {
                "train": {"trial_id": front[:-1]},
                "validation": {"trial_id": front[-1:]},
                "test": {"trial_id": back},
            }
            note = f"{subject}: trials {front[0]}-{front[-2]} train, {front[-1]} validates, {back[0]}-{back[-1]} test"
            folds.append(
                Fold(len(folds), (subject,), (subject,), (subject,), select=select, note=note)
            )
            continue
        k = min(n_folds, len(trial_ids))
        if k < 3:
            raise ValueError(
                f"protocol='within-subject' needs at least 3 trial groups (train, validation, test). "
                f"Received: {subject} with trials {trial_ids} and n_folds={n_folds}"
            )
        groups = [list(map(int, g)) for g in np.array_split(np.asarray(trial_ids), k)]
        for g, test_group in enumerate(groups):
            val_group = groups[(g + 1) % k]
            train = [
                t
                for group in groups
                if group is not test_group and group is not val_group
                for t in group
            ]
            select = {
                "train": {"trial_id": train},
                "validation": {"trial_id": val_group},
                "test": {"trial_id": test_group},
            }
            note = f"{subject}: test trial(s) {test_group}, validate on {val_group}"
            folds.append(
                Fold(len(folds), (subject,), (subject,), (subject,), select=select, note=note)
            )
    return folds
