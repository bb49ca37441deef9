"""The error raised for any corpus file that is not what the corpus documentation says."""

from __future__ import annotations


class CorpusFormatError(ValueError):
    """A corpus file is missing, truncated, corrupt, or has unexpected keys, shapes or values.

    The message always names the file, the field, what was expected and what was found, e.g.::

        Data_Preprocessed_P03.mat: joined_data{5} must have 17 columns (14 EEG, 2 ECG, 1 GSR).
        Found shape (7680, 16).
    """

    def __init__(self, path, problem, *, field=None, expected=None, found=None, hint=None):
        self.path = str(path)
        self.field = field
        self.expected = expected
        self.found = found
        parts = [f"{self.path}:"]
        if field is not None:
            parts.append(f"{field}:")
        parts.append(problem.rstrip("."))
        message = " ".join(parts) + "."
        if expected is not None:
            message += f" Expected {expected}."
        if found is not None:
            message += f" Found {found}."
        if hint:
            message += f" {hint}"
        super().__init__(message)


def describe_cell(value):
    """A CSV cell for an error message: ``an empty cell`` for NaN/None, else its text quoted."""
    if value is None or (isinstance(value, float) and value != value):
        return "an empty cell"
    return repr(str(value))
