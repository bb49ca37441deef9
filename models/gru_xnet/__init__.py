"""GRU-XNet (``gru_xnet``): per-channel spectrogram CNNs + BiGRU + self-attention.

For EEG corpora with an ``stft`` config (DEAP and GAMEEMO at 128 Hz, SEED-IV at 200 Hz): input
``stft`` (n_chans, n_frames, n_freqs), log-magnitude spectrograms PRECOMPUTED by the TFDS
builders with :func:`amigos_emo.signal.spectral.stft_spectrogram` (the model holds no FFT, so it
stays float16-safe); output ``label`` (one-hot classes, softmax). Variants ``"standard"`` and
``"dynamic"``: see :mod:`.gru_xnet_backbone`; architecture sizes (``standard``, ``tiny``):
:mod:`.gru_xnet_presets` (the signal shape always comes from the data).
"""

from amigos_emo.models.gru_xnet.gru_xnet_backbone import (
    INPUT_NAMES,
    OUTPUT_NAMES,
    GRUXNet,
    build_gru_xnet,
    cnn_output_frames,
    compile_gru_xnet,
)
from amigos_emo.models.gru_xnet.gru_xnet_layers import GroupedConv2D
from amigos_emo.models.gru_xnet.gru_xnet_presets import DEFAULT_PRESET, GRU_XNET_PRESETS
from amigos_emo.models.registry import register_model

register_model(
    "gru_xnet",
    build=build_gru_xnet,
    compile=compile_gru_xnet,
    inputs=INPUT_NAMES,
    outputs=OUTPUT_NAMES,
    task="classification",
    presets=GRU_XNET_PRESETS,
    description="GRU-XNet: per-channel STFT CNNs, cross-channel fusion, BiGRU and self-attention.",
)

__all__ = [
    "DEFAULT_PRESET",
    "GRUXNet",
    "GRU_XNET_PRESETS",
    "GroupedConv2D",
    "build_gru_xnet",
    "cnn_output_frames",
    "compile_gru_xnet",
]
