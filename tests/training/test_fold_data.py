"""FoldData.build_core passes what the dataset declares to the registered build."""

import types

from amigos_emo.training.fold_data import FoldData

SIGNALS = {"eeg": {"sfreq_hz": 200.0, "channels": ["FP1", "FP2"]}}


def _fold_data(entry, signals):
    return FoldData(
        fold=None,
        entry=entry,
        specs=[types.SimpleNamespace(name="label", kind="classification", n_classes=3)],
        inputs=("eeg",),
        input_shapes={"eeg": (400, 2)},
        n_outputs=3,
        input_stats={},
        regression_stats={},
        majority={},
        class_weights={},
        n_train=1,
        steps_per_epoch=1,
        batch_size=1,
        cache=False,
        train_raw=None,
        val_raw=None,
        test_raw=None,
        signals=signals,
    )


def _entry(**flags):
    calls = []

    def build(input_shapes, n_outputs=None, preset=None, **kwargs):
        calls.append({"input_shapes": input_shapes, "n_outputs": n_outputs, **kwargs})
        return "model"

    fields = {"signal_aware": False, "dynamic_outputs": False, **flags}
    entry = types.SimpleNamespace(build=build, name="fake", **fields)
    return entry, calls


def test_signal_aware_models_get_the_builders_signal_facts():
    entry, calls = _entry(signal_aware=True)
    assert _fold_data(entry, SIGNALS).build_core() == "model"
    assert calls == [{"input_shapes": {"eeg": (400, 2)}, "n_outputs": 3, "signals": SIGNALS}]


def test_other_models_get_no_signals_and_an_explicit_override_wins():
    entry, calls = _entry()
    _fold_data(entry, SIGNALS).build_core()
    assert "signals" not in calls[0]
    entry, calls = _entry(signal_aware=True)
    mine = {"eeg": {"sfreq_hz": 128.0, "channels": ["A", "B"]}}
    _fold_data(entry, SIGNALS).build_core(signals=mine)
    assert calls[0]["signals"] == mine


def test_eegnet_built_by_a_fold_takes_the_datasets_rate():
    from amigos_emo.models import get_model_entry

    model = _fold_data(get_model_entry("eegnet"), SIGNALS).build_core()
    assert model.sfreq == 200.0
    assert model.get_layer("temporal_conv").kernel_size == (100, 1)
