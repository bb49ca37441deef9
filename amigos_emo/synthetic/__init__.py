"""SYNTHETIC corpora written in real on-disk formats (never recorded data; labelled so everywhere).

- ``amigos``: :func:`write_synthetic_amigos` writes ``Data_Preprocessed_PXX.mat`` files in the
  AMIGOS preprocessed format whose signals depend on the ratings (heart rate, skin conductance,
  frontal alpha asymmetry), plus a ``SYNTHETIC_README.txt``.
- ``wearable``: :func:`write_synthetic_wearable_study` writes an Empatica-E4-like stress study
  (BVP, EDA, skin temperature, acceleration at their native rates) in the ``custom`` builder's
  layout (JSON + recordings + labels CSV).
"""

from amigos_emo.synthetic.amigos import synthetic_holes, write_synthetic_amigos
from amigos_emo.synthetic.wearable import write_synthetic_wearable_study

__all__ = ["synthetic_holes", "write_synthetic_amigos", "write_synthetic_wearable_study"]
