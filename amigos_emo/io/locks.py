"""Inter-process locks: one dataset build at a time, one trainer per output directory.

A lock is an ``fcntl`` advisory lock on a small file that also records who holds it (pid, host,
command, start time), so a refusal can say which live process is in the way. The operating system
releases the lock when its holder dies (``kill -9`` included), so a stale lock file never blocks.

Example::

    with ProcessLock(os.path.join(out, ".lock"), what="training run", blocking=False):
        ...  # a second trainer on the same folder gets LockedError naming this process

    with ProcessLock(build_dir + ".lock", what="dataset build"):
        ...  # a second builder waits, then sees the finished dataset
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
import sys
import time

from amigos_emo._logging import logger


class LockedError(RuntimeError):
    """Another live process holds the lock (the message names it)."""


def _holder_text(path):
    try:
        with open(path) as handle:
            info = json.load(handle)
    except (OSError, ValueError):
        return "another process"
    started = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(info.get("started", 0)))
    return f"process {info.get('pid')} on {info.get('host')} (started {started}: {info.get('command')})"


class ProcessLock:
    """An exclusive lock held for the duration of a ``with`` block.

    Args:
        path: the lock file (created if needed; left in place, it is harmless when unlocked).
        what: what is being protected, for messages (``"training run in runs/x"``).
        blocking: wait for the holder to finish (``True``) or raise :class:`LockedError` at once.
        poll_s: how often a waiting process logs that it is still waiting.
    """

    def __init__(self, path, what="resource", blocking=True, poll_s=30.0):
        self.path = os.fspath(path)
        self.what = what
        self.blocking = blocking
        self.poll_s = poll_s
        self._handle = None

    def acquire(self):
        os.makedirs(os.path.dirname(os.path.abspath(self.path)), exist_ok=True)
        handle = open(self.path, "a+")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _holder_text(self.path)
            if not self.blocking:
                handle.close()
                raise LockedError(
                    f"The {self.what} is in use by {holder}; lock file {self.path}. Wait for it to finish, "
                    "or choose another folder."
                ) from None
            logger.info(
                "Waiting for %s, which holds the %s (lock %s)", holder, self.what, self.path
            )
            while True:
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    time.sleep(min(self.poll_s, 0.2))
        handle.seek(0)
        handle.truncate()
        json.dump(
            {
                "pid": os.getpid(),
                "host": socket.gethostname(),
                "command": " ".join(sys.argv)[:200],
                "started": time.time(),
            },
            handle,
        )
        handle.flush()
        self._handle = handle
        return self

    def release(self):
        if self._handle is not None:
            try:
                self._handle.seek(0)
                self._handle.truncate()
                fcntl.flock(self._handle, fcntl.LOCK_UN)
            finally:
                self._handle.close()
                self._handle = None

    def __enter__(self):
        return self.acquire()

    def __exit__(self, *exc):
        self.release()
        return False


def is_locked(path):
    """Whether a live process holds the lock at ``path`` (without taking it)."""
    if not os.path.exists(path):
        return False
    with open(path, "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(handle, fcntl.LOCK_UN)
        return False


def temp_name(path):
    """A per-process temporary name beside ``path`` (``best.keras`` -> ``best.tmp-1234.keras``),
    so two processes never write the same temporary file. Keeps the suffix (Keras checks it)."""
    folder, base = os.path.split(os.fspath(path))
    stem, dot, suffix = base.partition(".")
    return os.path.join(folder, f".{stem}.tmp-{os.getpid()}{dot}{suffix}")
