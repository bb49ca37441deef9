import itertools

import numpy as np
import pytest

from amigos_emo.training.protocols import make_folds

SUBJECTS = [f"subject_{i:02d}" for i in range(1, 13)]


def _disjoint(fold):
    parts = [set(fold.train), set(fold.validation), set(fold.test)]
    return all(not (a & b) for a, b in itertools.combinations(parts, 2))


def test_subject_split_is_disjoint_70_15_15_and_seeded():
    (fold,) = make_folds("subject-split", SUBJECTS, seed=3)
    assert _disjoint(fold) and not fold.leaky
    assert (len(fold.train), len(fold.validation), len(fold.test)) == (8, 2, 2)
    assert set(fold.train) | set(fold.validation) | set(fold.test) == set(SUBJECTS)
    assert make_folds("subject-split", SUBJECTS, seed=3) == [fold]
    assert make_folds("subject-split", SUBJECTS, seed=4) != [fold]


def test_loso_tests_every_subject_once():
    folds = make_folds("loso", SUBJECTS)
    assert [f.test for f in folds] == [(s,) for s in SUBJECTS]
    assert all(_disjoint(f) for f in folds)
    assert all(len(f.train) + len(f.validation) == 11 for f in folds)


def test_loso_validation_rotates_with_the_held_out_subject():
    folds = make_folds("loso", SUBJECTS, seed=3)
    order = [s for s in np.asarray(SUBJECTS)[np.random.default_rng(3).permutation(len(SUBJECTS))]]
    for fold in folds:
        position = order.index(fold.test[0])
        expected = {order[(position + k) % len(order)] for k in (1, 2)}  # 15 % of 11 -> 2
        assert set(fold.validation) == expected
    validators = [s for f in folds for s in f.validation]
    assert sorted(set(validators)) == sorted(SUBJECTS)  # every subject validates some fold
    assert max(validators.count(s) for s in SUBJECTS) == 2


def test_kfold_partitions_subjects():
    folds = make_folds("kfold", SUBJECTS, n_folds=4)
    tested = [s for f in folds for s in f.test]
    assert sorted(tested) == SUBJECTS
    assert all(_disjoint(f) for f in folds)


def test_random_window_is_marked_leaky():
    (fold,) = make_folds("random-window", SUBJECTS)
    assert fold.leaky and "LEAKY" in fold.describe()


def test_errors_name_the_argument():
    with pytest.raises(ValueError, match="protocol must be one of"):
        make_folds("random", SUBJECTS)
    with pytest.raises(ValueError, match="at least 3 subjects"):
        make_folds("loso", SUBJECTS[:2])


TRIALS = {s: [(session, t) for session in (1, 2, 3) for t in range(1, 16)] for s in SUBJECTS[:3]}


def test_within_subject_groups_trials_and_never_splits_one():
    folds = make_folds("within-subject", SUBJECTS[:3], n_folds=5, trials=TRIALS)
    assert len(folds) == 3 * 5
    for fold in folds:
        assert fold.train == fold.validation == fold.test and len(fold.train) == 1
        parts = [set(fold.select[p]["trial_id"]) for p in ("train", "validation", "test")]
        assert all(not (a & b) for a, b in itertools.combinations(parts, 2))
        assert set().union(*parts) == set(range(1, 16))
    tested = sorted(t for f in folds[:5] for t in f.select["test"]["trial_id"])
    assert tested == list(range(1, 16))


def test_leave_one_trial_out_when_folds_exceed_trials():
    folds = make_folds("within-subject", SUBJECTS[:1], n_folds=99, trials=TRIALS)
    assert [f.select["test"]["trial_id"] for f in folds] == [[t] for t in range(1, 16)]


def test_front_back_is_seed_9_6():
    (fold, *_rest) = make_folds("front-back", SUBJECTS[:3], trials=TRIALS)
    assert fold.select["train"]["trial_id"] == list(range(1, 9))
    assert fold.select["validation"]["trial_id"] == [9]
    assert fold.select["test"]["trial_id"] == list(range(10, 16))


def test_cross_session_leaves_each_session_out():
    folds = make_folds("cross-session", SUBJECTS[:3], trials=TRIALS)
    assert [f.select["test"]["session_id"] for f in folds] == [[1], [2], [3]]
    assert all(
        s not in f.select["train"]["session_id"] for f, s in zip(folds, (1, 2, 3), strict=True)
    )


def test_trial_protocols_need_trials():
    with pytest.raises(ValueError, match="needs each subject's trial ids"):
        make_folds("front-back", SUBJECTS)
