"""Electrode names of the extended 10-20 system placed on a 9 x 9 grid (row 0 = front).

The grid keeps the scalp topology in image form: rows run from the frontal pole (row 0) to
the occipital row (row 8), columns from the left ear (column 0) to the right ear (column 8),
midline electrodes in column 4. It is the layout 3-D convolutional EEG models (VAE-GNN on
DREAMER) take as input; electrodes a montage lacks are left as zeros by the caller.

Names are matched case-insensitively; the old 10-20 names T3, T4, T5, T6 are accepted for
T7, T8, P7, P8.
"""

import numpy as np

GRID_SHAPE = (9, 9)

# One string per row, nine cells each, "-" for an empty cell.
_GRID_ROWS = (
    "-     -     -     FP1   FPZ   FP2   -     -     -",
    "-     AF7   -     AF3   AFZ   AF4   -     AF8   -",
    "F7    F5    F3    F1    FZ    F2    F4    F6    F8",
    "FT7   FC5   FC3   FC1   FCZ   FC2   FC4   FC6   FT8",
    "T7    C5    C3    C1    CZ    C2    C4    C6    T8",
    "TP7   CP5   CP3   CP1   CPZ   CP2   CP4   CP6   TP8",
    "P7    P5    P3    P1    PZ    P2    P4    P6    P8",
    "-     PO7   PO5   PO3   POZ   PO4   PO6   PO8   -",
    "-     -     CB1   O1    OZ    O2    CB2   -     -",
)

#: Electrode name (upper case) -> (row, column) on the 9 x 9 grid.
GRID_POSITIONS = {
    name: (row, column)
    for row, line in enumerate(_GRID_ROWS)
    for column, name in enumerate(line.split())
    if name != "-"
}

_ALIASES = {"T3": "T7", "T4": "T8", "T5": "P7", "T6": "P8"}


def grid_indices(channel_names):
    """Grid rows and columns of ``channel_names``, in order.

    Args:
        channel_names: electrode names, e.g. ``("AF3", "F7", ...)``.

    Returns:
        ``(rows, columns)``: two int64 arrays of length ``n_chans``, so that
        ``grid[..., rows, columns] = signal`` places a time-major ``(n_times, n_chans)``
        signal into a ``(n_times, 9, 9)`` grid.

    Raises:
        ValueError: an electrode has no grid position, or two electrodes share one.
    """
    rows, columns = [], []
    for name in channel_names:
        key = str(name).strip().upper()
        key = _ALIASES.get(key, key)
        if key not in GRID_POSITIONS:
            raise ValueError(
                f"channel_names must be 10-20 electrode names with a grid position. "
                f"Received: {name!r}, which is not one of {sorted(GRID_POSITIONS)}"
            )
        row, column = GRID_POSITIONS[key]
        rows.append(row)
        columns.append(column)
    cells = list(zip(rows, columns, strict=True))
    if len(set(cells)) != len(cells):
        raise ValueError(
            f"channel_names must map to distinct grid cells. Received: {list(channel_names)!r}"
        )
    return np.asarray(rows, dtype=np.int64), np.asarray(columns, dtype=np.int64)
