"""Signal core: everything computed from samples lives here, vectorised over channels and windows.

Modules:
- ``windows``: sliding windows with overlap, baseline templates and removal.
- ``filters``: band-pass, notch and resampling (scipy.signal).
- ``spectral``: band power and differential entropy for the five bands, STFT spectrograms.
- ``lds``: the linear-dynamical-system (Kalman/RTS) smoother of the SEED features.
- ``features``: trial-level sequences, e.g. the LDS-smoothed differential-entropy sequence.
- ``physio``: ECG (heart rate, HRV) and GSR (tonic/phasic, SCR) features through NeuroKit2.
- ``graph``: mutual-information adjacency and its normalisation (VAE-GNN inputs).
- ``muse_features``: a Bird-style statistical feature vector per window (Muse corpora).

Heavy libraries (scipy.signal, scipy.fft, NeuroKit2) are imported inside the functions that use
them, so importing this package or its modules stays cheap.

Array convention: raw trials and windows are **time-major**, ``(n_times, n_chans)`` and
``(n_windows, n_times, n_chans)``, in the corpus's units (microvolts for EEG).
"""
