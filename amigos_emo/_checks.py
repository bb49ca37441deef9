"""Validation helpers with exact messages (MNE ``_validate_type`` / ``_check_option`` style).

Every message names the argument, what was expected and what was received, so a failure deep in
a pipeline reads like ``window_s must be > 0. Received: window_s=-1``.
"""

from __future__ import annotations

import numbers

import numpy as np


def validate_type(value, types, name):
    """Raise ``TypeError`` unless ``value`` is an instance of ``types``.

    Args:
        value: the object to check.
        types: a type or tuple of types; ``"numeric"`` accepts any real number (not bool).
        name: the argument name used in the message.
    """
    if types == "numeric":
        ok = isinstance(value, numbers.Real) and not isinstance(value, bool)
        expected = "a real number"
    else:
        ok = isinstance(value, types)
        tuple_types = types if isinstance(types, tuple) else (types,)
        expected = " or ".join(t.__name__ for t in tuple_types)
    if not ok:
        raise TypeError(
            f"{name} must be {expected}. Received: {name}={value!r} ({type(value).__name__})"
        )
    return value


def check_option(value, allowed, name):
    """Raise ``ValueError`` unless ``value`` is one of ``allowed``."""
    if value not in allowed:
        options = ", ".join(repr(a) for a in allowed)
        raise ValueError(f"{name} must be one of {options}. Received: {name}={value!r}")
    return value


def check_positive(value, name, allow_zero=False):
    """Raise ``ValueError`` unless ``value`` is a positive (or non-negative) number."""
    validate_type(value, "numeric", name)
    if value < 0 or (value == 0 and not allow_zero):
        bound = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"{name} must be {bound}. Received: {name}={value!r}")
    return value


def check_array(array, name, ndim=None, shape=None, dtype_kind="fc"):
    """Convert to a NumPy array and check its rank, shape and dtype kind.

    Args:
        array: array-like input.
        name: the argument name used in messages.
        ndim: required number of dimensions, or ``None``.
        shape: required shape with ``None`` for free axes, or ``None``.
        dtype_kind: allowed ``numpy.dtype.kind`` letters (``"f"`` float, ``"c"`` complex,
            ``"i"``/``"u"`` integers); ``None`` skips the check.

    Returns:
        The array (no copy when already an array).
    """
    array = np.asarray(array)
    if dtype_kind is not None and array.dtype.kind not in dtype_kind + (
        "iu" if "f" in dtype_kind else ""
    ):
        raise TypeError(
            f"{name} must be a numeric array. Received: {name} with dtype {array.dtype}"
        )
    if ndim is not None and array.ndim != ndim:
        raise ValueError(
            f"{name} must have {ndim} dimensions. Received: {name} with shape {array.shape}"
        )
    if shape is not None:
        if array.ndim != len(shape) or any(
            s is not None and s != a for s, a in zip(shape, array.shape, strict=False)
        ):
            wanted = "(" + ", ".join("any" if s is None else str(s) for s in shape) + ")"
            raise ValueError(
                f"{name} must have shape {wanted}. Received: {name} with shape {array.shape}"
            )
    return array


def check_count(value, name, allow_none=False):
    """A positive int (a width, a number of steps...), or ``None`` when ``allow_none``."""
    if allow_none and value is None:
        return None
    validate_type(value, int, name)
    check_positive(value, name)
    return int(value)


def check_int(value, name, minimum=1):
    """An int ``>= minimum`` (a size, a count of layers...), returned as is."""
    validate_type(value, int, name)
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}. Received: {name}={value}")
    return value


def check_int_list(values, name, length):
    """A list/tuple of exactly ``length`` positive ints, as a list of ints."""
    validate_type(values, (list, tuple), name)
    if len(values) != length or any(
        isinstance(v, bool) or not isinstance(v, int) or v < 1 for v in values
    ):
        raise ValueError(
            f"{name} must be a list of {length} positive ints. Received: {name}={values!r}"
        )
    return [int(v) for v in values]


def check_rate(value, name):
    """A rate in [0, 1) such as a dropout rate, as a float."""
    validate_type(value, "numeric", name)
    if not 0 <= value < 1:
        raise ValueError(f"{name} must be in [0, 1). Received: {name}={value!r}")
    return float(value)
