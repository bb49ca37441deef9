"""Named EEGNet configurations (plain dicts of :class:`EEGNet` arguments).

The corpus presets (one per corpus with raw EEG) differ only in ``sfreq``, from which EEGNet derives its kernels: the temporal
kernel is half a second (``sfreq / 2`` samples: 64 at 128 Hz, 100 at 200 Hz) and the separable
kernel an eighth of a second (16 at 128 Hz, 25 at 200 Hz, 32 at 256 Hz). All are EEGNet-8,2 (``F1=8, D=2,
F2=16``) with the cross-subject dropout 0.25 of the paper (0.5 is its within-subject value).
``tiny`` is for tests (16 Hz, 4 temporal filters).
"""

from amigos_emo.models.eeg_classifiers_common import CORPUS_SFREQ_HZ

_EEGNET_8_2 = {"n_filters_temporal": 8, "depth_multiplier": 2, "n_filters_separable": 16}

EEGNET_PRESETS = {
    **{corpus: {**_EEGNET_8_2, "sfreq": sfreq} for corpus, sfreq in CORPUS_SFREQ_HZ.items()},
    "tiny": {
        "sfreq": 16.0,
        "n_filters_temporal": 4,
        "depth_multiplier": 2,
        "n_filters_separable": 8,
    },
}

DEFAULT_PRESET = "amigos"
