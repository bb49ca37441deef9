"""amigos-emo: emotion recognition from EEG, ECG and GSR with Keras 3 and TensorFlow.

Where things live (one obvious place each):

- ``amigos_emo.constants``: channel lists, label codes, grid layouts, one module per corpus.
- ``amigos_emo.io``: safe file readers shared by the builders (MATLAB, restricted pickles).
- ``amigos_emo.signal``: filtering, windowing, band power, differential entropy, LDS, STFT,
  ECG/GSR features.
- ``amigos_emo.synthetic``: the synthetic AMIGOS-format corpus (labelled synthetic everywhere).
- ``amigos_emo.tfds_builders`` (folder ``tfds_builders/``): one TFDS builder per corpus; this is
  where each corpus is parsed.
- ``amigos_emo.models`` (folder ``models/``): the Keras functional architectures.
- ``amigos_emo.training`` and ``python -m amigos_emo.train``: protocols, training, reports.
- ``amigos_emo.tuning`` (folder ``tuning/``): KerasTuner hypermodels.

Importing the package is cheap; TensorFlow is imported only by the modules that need it.
"""

import time as _time

__version__ = "0.1.0"
# When the package was first imported: a run's "start-up" stage is measured from here.
IMPORTED_AT = _time.perf_counter()
