"""``python -m amigos_emo.replay``: play a recording file as a live LSL stream, on this machine only.

Any recording :func:`read_recording` reads (EDF/BDF, CSV, NPZ; see :mod:`amigos_emo.io.recordings`) is
pushed as one LSL outlet with all its channels, named as in the file, at the file's own sampling
rate (or ``--rate-scale`` times faster). The outlet waits for its first consumer before it starts,
so a listener that connects first (``python -m amigos_emo.stream``) receives the recording from its
first sample. Each sample carries the LSL timestamp ``t0 + i / (sfreq * rate_scale)`` (``i`` its
index in the file, ``t0`` the LSL clock when playback started) and is pushed once that time has
come, in chunks of ``--chunk-s`` seconds.

``--gap-at S --gap-s G`` drops the samples of ``[S, S + G)`` seconds of the file, the way a
Bluetooth headset loses a stretch: the clock runs on and the next sample's timestamp jumps by
``G / rate_scale``. A listener should count it as a gap.

Loopback only: unless ``--lsl-config FILE`` is given, the process writes and uses the liblsl
configuration of :func:`loopback_config` (``ResolveScope = machine`` so discovery packets carry a
TTL of 0 and stay on this host, ``KnownPeers = {127.0.0.1}`` for unicast discovery, IPv6 off, a
session id of its own); listeners must use the same file (``stream --loopback`` does).

Example::

    python -m amigos_emo.replay --recording session.edf --name replay --rate-scale 2
    python -m amigos_emo.stream --model runs/RUN/fold_00/best.keras --stream replay --loopback
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time

import numpy as np

from amigos_emo._checks import check_positive
from amigos_emo._logging import logger

# The one import of the recording reader (moving to amigos_emo.io.recordings).
from amigos_emo.io.recordings import read_recording

LSL_CONFIG_ENV = "LSLAPICFG"
DEFAULT_SESSION_ID = "amigos_emo_loopback"


def loopback_config(session_id=DEFAULT_SESSION_ID):
    """The liblsl configuration (``lsl_api.cfg`` text) that keeps LSL on this machine.

    ``[multicast] ResolveScope = machine`` limits discovery to the machine-local multicast group
    with a TTL of 0; ``[lab] KnownPeers = {127.0.0.1}`` adds unicast discovery of this host (so
    resolving works where multicast is not routed at all, e.g. in containers); ``[ports] IPv6 =
    disable`` avoids IPv6-less hosts; ``[lab] SessionID`` hides the streams from (and hides from
    us) LSL programs that run with another session id.

    Args:
        session_id: the liblsl session id (both ends must use the same).

    Returns:
        str, the content of an ``lsl_api.cfg`` file.
    """
    return (
        "[ports]\nIPv6 = disable\n\n"
        "[multicast]\nResolveScope = machine\n\n"
        f"[lab]\nKnownPeers = {{127.0.0.1}}\nSessionID = {session_id}\n"
    )


def use_lsl_config(path=None, session_id=DEFAULT_SESSION_ID):
    """Point liblsl at a configuration file (``LSLAPICFG``) before it is first loaded.

    liblsl reads its configuration once, when ``mne_lsl.lsl`` is first imported in a process, so
    call this before anything imports it.

    Args:
        path: an ``lsl_api.cfg`` to use; ``None`` writes :func:`loopback_config` into a
            temporary file.
        session_id: session id of the generated loopback configuration.

    Returns:
        the configuration file's path.

    Raises:
        FileNotFoundError: ``path`` does not exist.
        RuntimeError: liblsl is already loaded in this process with another configuration.
    """
    if path is None:
        handle, path = tempfile.mkstemp(prefix="amigos_emo_lsl_", suffix=".cfg")
        with os.fdopen(handle, "w") as stream:
            stream.write(loopback_config(session_id))
    elif not os.path.isfile(path):
        raise FileNotFoundError(f"--lsl-config {path}: no such file (expected an lsl_api.cfg).")
    if "mne_lsl.lsl" in sys.modules and os.environ.get(LSL_CONFIG_ENV) != os.fspath(path):
        raise RuntimeError(
            "liblsl is already loaded in this process, so its configuration can no longer change; "
            f"set {LSL_CONFIG_ENV}={path} before importing mne_lsl."
        )
    os.environ[LSL_CONFIG_ENV] = os.fspath(path)
    return os.fspath(path)


def import_lsl():
    """``mne_lsl.lsl``, or an ImportError that says how to install it."""
    try:
        import mne_lsl.lsl as lsl
    except ImportError as error:  # pragma: no cover - depends on the environment
        raise ImportError(
            f"LSL streaming needs mne-lsl ({error}); install the live extra: pip install 'amigos-emo[live]'"
        ) from error
    return lsl


def replay(
    recording,
    name="amigos_emo_replay",
    stype="EEG",
    source_id=None,
    rate_scale=1.0,
    gap_at_s=None,
    gap_s=0.0,
    chunk_s=0.02,
    wait_s=60.0,
    max_seconds=None,
):
    """Push ``recording`` through an LSL outlet in (scaled) real time.

    Args:
        recording: a :class:`~amigos_emo.io.recordings.Recording` (``data`` ``(n_times, n_chans)``).
        name: the LSL stream name.
        stype: the LSL stream type (``"EEG"``, ``"ECG"``, ...).
        source_id: the LSL source id (default ``amigos_emo-<name>``).
        rate_scale: playback speed; 2 plays twice as fast (the nominal rate stays the file's).
        gap_at_s: start of a stretch of the file to drop, seconds from its start, or ``None``.
        gap_s: length of that stretch in seconds.
        chunk_s: seconds of signal per pushed chunk.
        wait_s: how long to wait for the first consumer before giving up.
        max_seconds: stop after this many seconds of the file.

    Returns:
        dict ``samples_pushed``, ``samples_dropped`` (the gap), ``seconds`` (wall time playing),
        ``t0`` (LSL clock of sample 0).

    Raises:
        TimeoutError: nobody connected within ``wait_s``.
    """
    lsl = import_lsl()
    check_positive(float(rate_scale), "rate_scale")
    check_positive(float(chunk_s), "chunk_s")
    check_positive(float(gap_s), "gap_s", allow_zero=True)
    sfreq = float(recording.sfreq)
    data = np.asarray(recording.data, np.float32)
    n_total = (
        data.shape[0]
        if max_seconds is None
        else min(data.shape[0], int(round(max_seconds * sfreq)))
    )
    keep = np.ones(n_total, bool)
    if gap_at_s is not None and gap_s > 0:
        start = int(round(check_positive(float(gap_at_s), "gap_at_s", allow_zero=True) * sfreq))
        keep[start : start + int(round(gap_s * sfreq))] = False
    info = lsl.StreamInfo(
        name, stype, data.shape[1], sfreq, "float32", source_id or f"amigos_emo-{name}"
    )
    info.set_channel_names(list(recording.ch_names))
    outlet = lsl.StreamOutlet(info, chunk_size=max(1, int(round(chunk_s * sfreq))))
    logger.info(
        "Replay %r: %d channel(s) at %g Hz (x%g), waiting for a consumer...",
        name,
        data.shape[1],
        sfreq,
        rate_scale,
    )
    if not outlet.wait_for_consumers(timeout=wait_s):
        raise TimeoutError(f"replay {name!r}: no consumer connected within {wait_s:g} s.")
    interval = 1.0 / (sfreq * rate_scale)
    chunk = max(1, int(round(chunk_s * sfreq)))
    started = time.monotonic()
    t0 = lsl.local_clock()
    pushed = 0
    for begin in range(0, n_total, chunk):
        end = min(begin + chunk, n_total)
        due = t0 + (end - 1) * interval
        delay = due - lsl.local_clock()
        if delay > 0:
            time.sleep(delay)
        mask = keep[begin:end]
        if mask.any():
            stamps = t0 + np.arange(begin, end)[mask] * interval
            outlet.push_chunk(np.ascontiguousarray(data[begin:end][mask]), timestamp=stamps)
            pushed += int(mask.sum())
    # Let the last chunk reach the consumer before the outlet goes away.
    time.sleep(min(1.0, 20 * chunk_s))
    del outlet
    return {
        "samples_pushed": pushed,
        "samples_dropped": int(n_total - keep.sum()),
        "seconds": time.monotonic() - started,
        "t0": t0,
    }


def build_parser():
    parser = argparse.ArgumentParser(
        prog="python -m amigos_emo.replay",
        description="Play an EDF/CSV/NPZ recording as an LSL outlet at its real rate, on this machine only.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--recording", required=True, help="EDF/BDF, CSV or NPZ file")
    parser.add_argument("--name", default="amigos_emo_replay", help="LSL stream name")
    parser.add_argument("--type", default="EEG", dest="stype", help="LSL stream type (default EEG)")
    parser.add_argument("--source-id", default=None, help="LSL source id (default amigos_emo-NAME)")
    parser.add_argument(
        "--channels", nargs="+", default=None, help="channel names, one per column of the recording"
    )
    parser.add_argument(
        "--sfreq",
        type=float,
        default=None,
        help="the recording's sampling rate in Hz, if the file omits it",
    )
    parser.add_argument(
        "--rate-scale", type=float, default=1.0, help="playback speed (2 = twice real time)"
    )
    parser.add_argument(
        "--gap-at",
        type=float,
        default=None,
        metavar="S",
        help="drop samples from S seconds into the file...",
    )
    parser.add_argument(
        "--gap-s",
        type=float,
        default=0.0,
        metavar="G",
        help="...for G seconds (a simulated dropout)",
    )
    parser.add_argument(
        "--chunk-s", type=float, default=0.02, help="seconds of signal per pushed chunk"
    )
    parser.add_argument("--wait-s", type=float, default=60.0, help="seconds to wait for a consumer")
    parser.add_argument(
        "--max-seconds", type=float, default=None, help="play only the first S seconds"
    )
    parser.add_argument(
        "--lsl-config",
        default=None,
        help="an lsl_api.cfg to use instead of the generated loopback-only one",
    )
    parser.add_argument(
        "--session-id", default=DEFAULT_SESSION_ID, help="liblsl session id of the loopback config"
    )
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    try:
        use_lsl_config(args.lsl_config, session_id=args.session_id)
        recording = read_recording(args.recording, channels=args.channels, sfreq=args.sfreq)
        summary = replay(
            recording,
            name=args.name,
            stype=args.stype,
            source_id=args.source_id,
            rate_scale=args.rate_scale,
            gap_at_s=args.gap_at,
            gap_s=args.gap_s,
            chunk_s=args.chunk_s,
            wait_s=args.wait_s,
            max_seconds=args.max_seconds,
        )
    except (ValueError, FileNotFoundError, TimeoutError, ImportError, RuntimeError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    logger.info(
        "Replay done: %d sample(s) pushed, %d dropped (gap) in %.2f s",
        summary["samples_pushed"],
        summary["samples_dropped"],
        summary["seconds"],
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
