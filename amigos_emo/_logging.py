"""One package logger, in the MNE style: ``verbose=`` arguments instead of prints."""

import logging

logger = logging.getLogger("amigos_emo")
if not logger.handlers:
    _handler = logging.StreamHandler()
    _handler.setFormatter(logging.Formatter("%(levelname)s [amigos_emo] %(message)s"))
    logger.addHandler(_handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False


def set_log_level(verbose):
    """Set the package log level.

    Args:
        verbose: ``True`` (INFO), ``False`` (WARNING), ``None`` (leave as is), or a level name
            such as ``"DEBUG"``.
    """
    if verbose is None:
        return
    if isinstance(verbose, bool):
        level = logging.INFO if verbose else logging.WARNING
    else:
        level = getattr(logging, str(verbose).upper(), None)
        if not isinstance(level, int):
            raise ValueError(
                f"verbose must be a bool or a logging level name. Received: verbose={verbose!r}"
            )
    logger.setLevel(level)
