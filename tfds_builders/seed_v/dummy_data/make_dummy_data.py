"""Write the SEED-V dummy corpus into this folder. Run once:

    python tfds_builders/seed_v/dummy_data/make_dummy_data.py

Layout (the real on-disk format, shrunk):

    EEG_DE_features/{1,2}_123.npz   entries 'data' and 'label', each a pickled dict stored as a
                                    NumPy bytes scalar (what np.savez makes of pickle.dumps(...))
    EEG_raw/{subject}_{session}_{YYYYMMDD}.cnt   subjects 1, 2; sessions (stimulus sets) 1..3

npz: dict keys are the global trials k (session = k // 15 + 1, trial = k % 15 + 1); only
k = 0, 1, 16, 30, 44 are written (subject 2 without k = 1). data[k] is (W, 310) random
quarter-integers with W = 2 or 3; label[k] is (W,) filled with the trial's SEED-V label.

cnt: a genuine Neuroscan CNT as ``mne.io.read_raw_cnt`` reads it (http://paulbourke.net/
dataformats/eeg/): the 900-byte SETUP header (number of channels at byte 370, sampling rate 376,
number of samples 864, event-table offset 886, channel offset 894 = 0 i.e. multiplexed by
sample, date/time at 225/235), one 75-byte ELECTLOC record per channel (name at +0, x/y at
+19, baseline at +47, sensitivity at +59, calibration at +71; sensitivity 204.8 and
calibration 1.0 make one integer step = 1 microvolt), int16 little-endian samples (sample-major:
all 66 channels of sample 0, then of sample 1, ...), then the event table (TEEG type 2: 1-byte
type, int32 size, int32 offset, then 19-byte EVENT2 records). 66 channels: the 62 EEG channels
in a SHUFFLED order with M1, M2, VEO, HEO mixed in (so the reader must pick by name), 1000 Hz,
250 samples (0.25 s), random integer microvolts. Each file is read back with MNE and checked.
"""

import pathlib
import pickle
import struct

import numpy as np

from amigos_emo.constants.seed import EEG_CHANNELS

HERE = pathlib.Path(__file__).resolve().parent
SESSION_LABELS = {
    1: (4, 1, 3, 2, 0, 4, 1, 3, 2, 0, 4, 1, 3, 2, 0),
    2: (2, 1, 3, 0, 4, 4, 0, 3, 2, 1, 3, 4, 1, 2, 0),
    3: (2, 1, 3, 0, 4, 4, 0, 3, 2, 1, 3, 4, 1, 2, 0),
}
# (subject, session digit) -> date; session digit = stimulus set (11_2 recorded before 11_1).
RAW_FILES = {
    (1, 1): "20180411",
    (1, 2): "20180418",
    (1, 3): "20180425",
    (2, 2): "20180508",
    (2, 1): "20180510",
    (2, 3): "20180517",
}
N_SAMPLES = 250
SFREQ = 1000
EVENT_SAMPLES = ((20, 1), (110, 2), (120, 1), (240, 2))  # (sample, stim code)


def write_cnt(path, channel_names, data, sfreq, date="05/10/18", time="14:25:34", events=()):
    """Write a minimal Neuroscan CNT: int16 ``data`` (n_samples, n_chans), microvolt units."""
    n_samples, n_chans = data.shape
    header = bytearray(900)
    header[225 : 225 + len(date)] = date.encode()
    header[235 : 235 + len(time)] = time.encode()
    struct.pack_into("<H", header, 370, n_chans)
    struct.pack_into("<H", header, 376, int(sfreq))
    struct.pack_into("<i", header, 864, n_samples)
    data_offset = 900 + 75 * n_chans
    event_table = data_offset + n_samples * n_chans * 2
    struct.pack_into("<i", header, 886, event_table)
    struct.pack_into("<f", header, 890, n_samples / sfreq)
    struct.pack_into("<i", header, 894, 0)
    records = bytearray()
    angles = np.linspace(0, 2 * np.pi, n_chans, endpoint=False)
    for index, name in enumerate(channel_names):
        record = bytearray(75)
        record[: len(name)] = name.encode()
        radius = 0.3 + 0.6 * (index % 7) / 7
        struct.pack_into(
            "<ff", record, 19, radius * np.cos(angles[index]), radius * np.sin(angles[index])
        )
        struct.pack_into("<h", record, 47, 0)
        struct.pack_into("<f", record, 59, 204.8)
        struct.pack_into("<f", record, 71, 1.0)
        records += record
    samples = np.ascontiguousarray(data, dtype="<i2").tobytes()
    event_records = b"".join(
        struct.pack(
            "<HBclhhfccc",
            code,
            0,
            b"\x00",
            data_offset + sample * n_chans * 2,
            0,
            0,
            0.0,
            b"\x00",
            b"\x00",
            b"\x00",
        )
        for sample, code in events
    )
    teeg = struct.pack("<Bll", 2, len(event_records), 0)
    path.write_bytes(bytes(header) + bytes(records) + samples + teeg + event_records)


def main():
    import mne

    rng = np.random.default_rng(2018)
    feature_dir = HERE / "EEG_DE_features"
    raw_dir = HERE / "EEG_raw"
    feature_dir.mkdir(parents=True, exist_ok=True)
    raw_dir.mkdir(parents=True, exist_ok=True)
    for subject in (1, 2):
        data, label = {}, {}
        for k in (44, 0, 16, 1, 30):
            if subject == 2 and k == 1:
                continue
            n_windows = 2 + k % 2
            data[k] = np.round(rng.normal(10.0, 2.0, (n_windows, 310)) * 4) / 4
            label[k] = np.full(n_windows, SESSION_LABELS[k // 15 + 1][k % 15], dtype=np.float64)
        np.savez(
            feature_dir / f"{subject}_123.npz", data=pickle.dumps(data), label=pickle.dumps(label)
        )

    names = list(EEG_CHANNELS)
    rng.shuffle(names)
    for extra, position in (("M1", 5), ("M2", 30), ("VEO", 62), ("HEO", 64)):
        names.insert(position, extra)
    for (subject, session), date in RAW_FILES.items():
        values = rng.integers(-50, 51, (N_SAMPLES, len(names))).astype(np.int16)
        path = raw_dir / f"{subject}_{session}_{date}.cnt"
        write_cnt(path, names, values, SFREQ, events=EVENT_SAMPLES)
        raw = mne.io.read_raw_cnt(path, preload=True, verbose="error")
        assert raw.ch_names == names and raw.info["sfreq"] == SFREQ
        np.testing.assert_allclose(raw.get_data() * 1e6, values.T, atol=1e-9)
        assert len(raw.annotations) == len(EVENT_SAMPLES)


if __name__ == "__main__":
    main()
