"""Reading MATLAB ``.mat`` files (v5, what every corpus ships) with clear errors."""

from __future__ import annotations

import os

import numpy as np

from amigos_emo.io.errors import CorpusFormatError


def load_mat(path, variables=None, **kwargs):
    """Load a MATLAB file with ``scipy.io.loadmat`` and explain failures.

    Args:
        path: the ``.mat`` file.
        variables: names that must be present; a missing one raises :class:`CorpusFormatError`
            listing what the file does hold.
        **kwargs: passed to ``scipy.io.loadmat`` (e.g. ``squeeze_me``, ``struct_as_record``).

    Returns:
        dict of variables (MATLAB header entries ``__header__`` etc. removed).

    Raises:
        FileNotFoundError: the file does not exist.
        CorpusFormatError: the file is empty, truncated, corrupt, HDF5 (v7.3), or lacks a
            required variable.
    """
    import scipy.io

    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"{path}: no such file")
    if os.path.getsize(path) == 0:
        raise CorpusFormatError(path, "the file is empty (0 bytes)", hint="Download it again.")
    with open(path, "rb") as handle:
        head = handle.read(128)
    if head.startswith(b"\x89HDF") or b"MATLAB 7.3" in head:
        raise CorpusFormatError(
            path,
            "is a MATLAB v7.3 (HDF5) file",
            expected="a MATLAB v5 file as distributed by the corpus authors",
            hint="Re-save it in MATLAB with save(..., '-v7') or use the original download.",
        )
    try:
        contents = scipy.io.loadmat(path, variable_names=variables, **kwargs)
    except Exception as error:  # scipy raises ValueError, TypeError, OSError... on corrupt files
        raise CorpusFormatError(
            path,
            "could not be read as a MATLAB file (truncated or corrupt?)",
            found=f"{type(error).__name__}: {error}",
            hint="Download the file again; a partial download is the usual cause.",
        ) from error
    contents = {k: v for k, v in contents.items() if not k.startswith("__")}
    if variables:
        missing = [v for v in variables if v not in contents]
        if missing:
            try:
                present = sorted(k for k, *_ in scipy.io.whosmat(path))
            except Exception:  # pragma: no cover - whosmat failing after loadmat worked
                present = sorted(contents)
            raise CorpusFormatError(
                path,
                f"missing variable(s) {', '.join(missing)}",
                expected=f"variables {', '.join(variables)}",
                found=f"variables {', '.join(present) or '(none)'}",
            )
    return contents


def cell_items(cell, path, field):
    """The elements of a MATLAB cell array read by scipy (an object ndarray), in MATLAB order.

    Args:
        cell: the object array scipy returns for a cell (e.g. shape ``(1, 20)``).
        path, field: used in the error message.

    Returns:
        list of the elements (each usually an ndarray), column-major order flattened.
    """
    if not isinstance(cell, np.ndarray) or cell.dtype != object:
        raise CorpusFormatError(
            path,
            "is not a cell array",
            field=field,
            expected="a MATLAB cell array",
            found=f"{type(cell).__name__} with dtype {getattr(cell, 'dtype', None)} and shape {getattr(cell, 'shape', None)}",
        )
    return list(cell.ravel(order="F"))
