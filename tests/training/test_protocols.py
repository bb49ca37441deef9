import itertools

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
