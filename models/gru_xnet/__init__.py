"""GRU-XNet (``gru_xnet``): per-channel spectrogram CNNs + BiGRU + self-attention.

For DEAP (32 ch) and GAMEEMO (14 ch) at 128 Hz and SEED-IV (62 ch) at 200 Hz: input ``stft``
(n_chans, n_frames, n_freqs), log-magnitude spectrograms PRECOMPUTED by the TFDS builders with
:func:`amigos_emo.signal.spectral.stft_spectrogram` (the model holds no FFT, so it stays
float16-safe); output ``label`` (one-hot classes, softmax). Variants ``"standard"`` and
``"dynamic"``: see :mod:`.gru_xnet_backbone`; presets with their STFT shapes:
:mod:`.gru_xnet_presets`.
"""

from amigos_emo.models.gru_xnet.gru_xnet_backbone import GRUXNet, cnn_output_frames
from amigos_emo.models.gru_xnet.gru_xnet_layers import GroupedConv2D
from amigos_emo.models.gru_xnet.gru_xnet_presets import GRU_XNET_PRESETS
from amigos_emo.models.gru_xnet.gru_xnet_task import build, compile
from amigos_emo.models.registry import register_model

register_model(
    "gru_xnet",
    build=build,
    compile=compile,
    inputs=("stft",),
    outputs=("label",),
    task="classification",
    presets=GRU_XNET_PRESETS,
    description="GRU-XNet: per-channel STFT CNNs, cross-channel fusion, BiGRU and self-attention.",
)

__all__ = ["GRUXNet", "GRU_XNET_PRESETS", "GroupedConv2D", "build", "cnn_output_frames", "compile"]
