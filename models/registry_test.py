"""The registry contract: every registered model has a harness case; errors; presets."""

import pytest

from amigos_emo.models import build_model, get_model_entry, list_models, register_model
from amigos_emo.models.harness_cases import HARNESS_CASES, cases_for

KNOWN_TASKS = {"regression+binary", "classification", "binary", "any"}


def test_every_registered_model_has_a_harness_case():
    # scikit-learn baselines (framework="sklearn") are tested in models/classic/, not by the harness.
    missing = [name for name in list_models(framework="keras") if not cases_for(name)]
    assert not missing, (
        f"registered models without a case in models/harness_cases.py: {missing}; "
        "add a HarnessCase with tiny input shapes for each"
    )


def test_every_harness_case_names_a_registered_model():
    registered = set(list_models())
    unknown = sorted({case.name for case in HARNESS_CASES} - registered)
    assert not unknown, f"harness cases name unregistered models: {unknown}"


def test_my_models_are_registered():
    assert {"multimodal_lstm", "gru_classifier"} <= set(list_models())
    entry = get_model_entry("multimodal_lstm")
    assert entry.inputs == ("eeg", "ecg", "gsr")
    assert entry.outputs == ("valence", "arousal", "transition")
    assert entry.task == "regression+binary"
    entry = get_model_entry("gru_classifier")
    assert (entry.inputs, entry.outputs, entry.task) == (
        ("features",),
        ("label",),
        "classification",
    )


@pytest.mark.parametrize("name", list_models())
def test_entry_contract(name):
    entry = get_model_entry(name)
    assert entry.name == name
    assert entry.task in KNOWN_TASKS, f"{name}: task {entry.task!r} not in {sorted(KNOWN_TASKS)}"
    assert entry.inputs or entry.dynamic_inputs
    assert entry.outputs or entry.dynamic_outputs
    assert callable(entry.build) and callable(entry.compile)
    assert entry.description, f"{name} has no description"
    assert entry.presets and all(isinstance(p, dict) for p in entry.presets.values())
    assert entry.framework in ("keras", "sklearn")


def test_list_models_by_framework():
    keras_models, sklearn_models = list_models(framework="keras"), list_models(framework="sklearn")
    assert not set(keras_models) & set(sklearn_models)
    assert sorted(keras_models + sklearn_models) == list_models()
    assert get_model_entry("multimodal_lstm").framework == "keras"


def test_unknown_framework_is_an_error():
    entry = get_model_entry("gru_classifier")
    with pytest.raises(ValueError, match="Received: framework='torch'"):
        register_model(
            "x_torch",
            build=entry.build,
            compile=entry.compile,
            inputs=entry.inputs,
            outputs=entry.outputs,
            task=entry.task,
            framework="torch",
        )


@pytest.mark.parametrize("name", list_models(framework="keras"))
def test_unknown_preset_is_an_error_naming_it(name):
    case = cases_for(name)[0]
    kwargs = {k: v for k, v in case.build_kwargs.items() if k != "preset"}
    with pytest.raises(ValueError, match="no_such_preset"):
        build_model(
            name, case.input_shapes, n_outputs=case.n_outputs, preset="no_such_preset", **kwargs
        )


def test_unknown_model_name():
    with pytest.raises(ValueError, match=r"Unknown model.*multimodal_lstm.*Received: name='lstm'"):
        get_model_entry("lstm")
    with pytest.raises(ValueError, match="Received: name='lstm'"):
        build_model("lstm", {"eeg": (8, 14)})


def test_registering_a_different_model_under_a_taken_name_fails():
    entry = get_model_entry("gru_classifier")
    with pytest.raises(ValueError, match="already registered"):
        register_model(
            "gru_classifier",
            build=lambda *a, **k: None,
            compile=entry.compile,
            inputs=entry.inputs,
            outputs=entry.outputs,
            task=entry.task,
        )
    assert get_model_entry("gru_classifier") is entry


@pytest.mark.parametrize(
    ("name", "input_shapes", "n_outputs"),
    [
        ("multimodal_lstm", {"eeg": (8, 14), "ecg": (8, 2), "gsr": (8, 1)}, None),
        ("gru_classifier", {"features": (30,)}, 3),
    ],
)
def test_every_preset_of_my_models_builds(name, input_shapes, n_outputs):
    entry = get_model_entry(name)
    for preset in entry.presets:
        model = build_model(name, input_shapes, n_outputs=n_outputs, preset=preset)
        assert tuple(sorted(model.output_names)) == tuple(sorted(entry.outputs)), preset


def test_dynamic_inputs_and_outputs_contract():
    entry = get_model_entry("signal_fusion")
    assert entry.dynamic_inputs and entry.dynamic_outputs and entry.task == "any"
    assert entry.inputs == () and entry.outputs == ()
    assert entry.input_names(["bvp", "gsr"]) == ("bvp", "gsr")
    with pytest.raises(ValueError, match="every signal input.*Received: available=None"):
        entry.input_names()
    assert entry.output_names() == ("label",)
    assert entry.output_names({"stress": {}, "valence": {}}) == ("stress", "valence")
    static = get_model_entry("gru_classifier")
    assert not static.dynamic_inputs and not static.dynamic_outputs
    assert static.input_names(["anything"]) == ("features",)
    assert static.output_names({"x": {}}) == ("label",)
    heads = {"stress": {"kind": "binary", "n_classes": None}}
    model = build_model("signal_fusion", {"gsr": (8, 1)}, heads=heads)
    assert model.output_names == ["stress"]
    with pytest.raises(ValueError, match="fixed outputs.*Received: heads="):
        build_model("gru_classifier", {"features": (30,)}, n_outputs=3, heads=heads)


def test_register_model_with_none_inputs_and_outputs():
    from amigos_emo.models import registry

    entry = register_model(
        "_dynamic_probe",
        build=lambda *a, **k: None,
        compile=lambda *a, **k: None,
        inputs=None,
        outputs=None,
        task="any",
        presets={"p": {}},
        description="probe",
    )
    try:
        assert entry.dynamic_inputs and entry.dynamic_outputs
        assert (entry.inputs, entry.outputs) == ((), ())
    finally:
        registry._REGISTRY.pop("_dynamic_probe")


def test_a_convolutional_model_built_without_onednn_says_how_to_turn_it_on(monkeypatch, caplog):
    from amigos_emo.models import registry

    monkeypatch.setattr(registry, "_SAID_ONEDNN", set())
    monkeypatch.setattr(registry, "onednn_enabled", lambda: False)
    shapes = {"eeg_grid": (64, 9, 9), "node_features": (5, 4, 3), "adjacency": (5, 4, 4)}
    for _ in range(2):
        build_model("vae_gnn", shapes, preset="tiny")
    said = [r.message for r in caplog.records if "TF_ENABLE_ONEDNN_OPTS=1" in r.message]
    assert len(said) == 1 and said[0].startswith("vae_gnn trains faster")  # once per process
    caplog.clear()
    monkeypatch.setattr(registry, "onednn_enabled", lambda: True)
    monkeypatch.setattr(registry, "_SAID_ONEDNN", set())
    build_model("vae_gnn", shapes, preset="tiny")
    assert not [r for r in caplog.records if "oneDNN" in r.message]
