"""SYNTHETIC corpora written in real on-disk formats (never recorded data; labelled so everywhere).

- ``amigos``: :func:`write_synthetic_amigos` writes ``Data_Preprocessed_PXX.mat`` files in the
  AMIGOS preprocessed format whose signals depend on the ratings (heart rate, skin conductance,
  frontal alpha asymmetry), plus a ``SYNTHETIC_README.txt``.
"""

from amigos_emo.synthetic.amigos import synthetic_holes, write_synthetic_amigos

__all__ = ["synthetic_holes", "write_synthetic_amigos"]
