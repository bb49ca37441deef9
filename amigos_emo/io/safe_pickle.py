"""A restricted unpickler: NumPy arrays and plain containers only, never arbitrary code.

Corpora such as DEAP (``sNN.dat``, Python-2 pickles) and SEED-V (``.npz`` entries holding
pickled dicts) ship pickles. ``pickle.load`` on a file from the internet can execute anything;
:func:`restricted_load` resolves only the globals needed to rebuild NumPy arrays, dtypes and
scalars (plus ``_codecs.encode``, which protocol-2 pickles use for raw bytes). Dicts, lists,
tuples, strings and numbers need no globals at all. Anything else is refused with an error that
names the file and the global it asked for, and nothing of it runs.
"""

from __future__ import annotations

import io
import os
import pickle

from amigos_emo.io.errors import CorpusFormatError

# (module, name) pairs a pickle may reference. NumPy moved ``numpy.core`` to ``numpy._core`` in
# 2.0; pickles written by either still say what they said, so both spellings are listed.
_ALLOWED_GLOBALS = frozenset(
    {
        (core, name)
        for core in ("numpy.core.multiarray", "numpy._core.multiarray")
        for name in ("_reconstruct", "scalar")
    }
    | {(core, "_frombuffer") for core in ("numpy.core.numeric", "numpy._core.numeric")}
    | {
        ("numpy", "ndarray"),
        ("numpy", "dtype"),
        ("_codecs", "encode"),
        ("builtins", "set"),
        ("builtins", "frozenset"),
        ("builtins", "complex"),
        ("__builtin__", "set"),
        ("__builtin__", "frozenset"),
        ("__builtin__", "complex"),
        ("collections", "OrderedDict"),
    }
)


class UnsafePickleError(CorpusFormatError):
    """A pickle asked for something other than arrays and plain containers."""


class _RestrictedUnpickler(pickle.Unpickler):
    def __init__(self, file, source, **kwargs):
        super().__init__(file, **kwargs)
        self._source = source

    def find_class(self, module, name):
        if (module, name) in _ALLOWED_GLOBALS:
            return super().find_class(module, name)
        raise UnsafePickleError(
            self._source,
            f"refused to unpickle global {module}.{name}",
            expected="only NumPy arrays, dtypes, scalars and plain containers",
            found=f"a reference to {module}.{name}",
            hint="The file is not what the corpus distributes (tampered or wrong file); nothing in it was executed.",
        )

    def persistent_load(self, pid):
        raise UnsafePickleError(self._source, "refused a persistent-id reference in the pickle")


def restricted_loads(data, source="<bytes>", encoding="latin1"):
    """Unpickle ``data`` (bytes) admitting NumPy arrays and plain containers only.

    Args:
        data: the pickled bytes.
        source: a name for error messages (a file path, ``"s01.dat"``, ``"1_123.npz['data']"``).
        encoding: how Python-2 ``str`` objects are decoded; ``"latin1"`` is what Python-2 NumPy
            pickles need (DEAP).

    Raises:
        UnsafePickleError: the pickle references any other global.
        CorpusFormatError: the bytes are not a readable pickle (truncated, corrupt).
    """
    try:
        return _RestrictedUnpickler(io.BytesIO(data), source, encoding=encoding).load()
    except UnsafePickleError:
        raise
    except Exception as error:
        raise CorpusFormatError(
            source,
            "could not be unpickled (truncated or corrupt?)",
            found=f"{type(error).__name__}: {error}",
            hint="Download the file again; a partial download is the usual cause.",
        ) from error


def restricted_load(path, encoding="latin1"):
    """Read and unpickle the file at ``path`` with :func:`restricted_loads`."""
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"{path}: no such file")
    with open(path, "rb") as handle:
        data = handle.read()
    if not data:
        raise CorpusFormatError(path, "the file is empty (0 bytes)", hint="Download it again.")
    return restricted_loads(data, source=path, encoding=encoding)
