"""Safe, explicit file readers shared by the corpus builders.

- ``errors``: :class:`CorpusFormatError`, the one exception type for bad corpus files.
- ``matlab``: ``scipy.io.loadmat`` with errors that name the file and the field.
- ``safe_pickle``: a restricted unpickler that admits NumPy arrays and plain containers only.
"""

from amigos_emo.io.errors import CorpusFormatError

__all__ = ["CorpusFormatError"]
