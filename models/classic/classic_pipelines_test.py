"""The classic baselines: what each pipeline holds, presets, bad arguments, a fit on random data."""

import numpy as np
import pytest

from amigos_emo.models import build_model, get_model_entry, list_models


def test_registered_as_sklearn_entries():
    assert set(list_models(framework="sklearn")) == {"logreg", "random_forest"}
    for name in ("logreg", "random_forest"):
        entry = get_model_entry(name)
        assert (entry.inputs, entry.outputs, entry.task) == (
            ("features",),
            ("label",),
            "classification",
        )
        assert entry.framework == "sklearn" and "default" in entry.presets


def test_logreg_is_scaler_plus_balanced_logistic_regression():
    model = build_model("logreg", {"features": (6,)}, n_outputs=3)
    assert list(model.named_steps) == ["scaler", "classifier"]
    assert model.named_steps["classifier"].class_weight == "balanced"
    assert (
        build_model("logreg", {"features": (6,)}, preset="strong_l2").named_steps["classifier"].C
        == 0.05
    )


def test_fit_matches_a_hand_made_reference():
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    rng = np.random.default_rng(0)
    x = rng.normal(size=(90, 6)) * [1, 10, 100, 1, 1, 1]
    y = (x[:, 0] > 0).astype(int) + (x[:, 1] > 5)
    model = build_model("logreg", {"features": (6,)}).fit(x, y)
    scaler = StandardScaler().fit(x)
    reference = LogisticRegression(class_weight="balanced", max_iter=2000, random_state=0)
    reference.fit(scaler.transform(x), y)
    np.testing.assert_allclose(model.predict_proba(x), reference.predict_proba(scaler.transform(x)))
    forest = build_model("random_forest", {"features": (6,)}, preset="fast", random_state=3).fit(
        x, y
    )
    reference = RandomForestClassifier(
        n_estimators=40, max_depth=8, min_samples_leaf=2, class_weight="balanced", random_state=3
    ).fit(x, y)
    np.testing.assert_allclose(forest.predict_proba(x), reference.predict_proba(x))


@pytest.mark.parametrize("name", ["logreg", "random_forest"])
def test_bad_arguments_fail_clearly(name):
    with pytest.raises(ValueError, match="no_such_preset"):
        build_model(name, {"features": (6,)}, preset="no_such_preset")
    with pytest.raises(ValueError, match=r"\(n_features,\).*\(4, 6\)"):
        build_model(name, {"features": (4, 6)})
    with pytest.raises(ValueError, match="'features' entry"):
        build_model(name, {"eeg": (6,)})
    with pytest.raises(ValueError, match="class_weight"):
        build_model(name, {"features": (6,)}, class_weight="weird")
    with pytest.raises(ValueError, match="learning_rate=0.1"):
        get_model_entry(name).compile(None, learning_rate=0.1)
