"""Constants shared by every corpus."""

# The five standard differential-entropy bands (Hz), half-open [low, high).
FREQUENCY_BANDS = {
    "delta": (1.0, 4.0),
    "theta": (4.0, 8.0),
    "alpha": (8.0, 14.0),
    "beta": (14.0, 31.0),
    "gamma": (31.0, 50.0),
}
BAND_NAMES = tuple(FREQUENCY_BANDS)
