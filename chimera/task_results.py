"""Task results kept in files (the store without a broker): private, expiring, pruned and counted.

Celery's own file store writes world-readable files and never deletes one unless ``celery beat``
runs its clean-up, which a project without a broker does not run: results (prompts, provider
answers) would be readable by every local user, answer for ever and fill the disk.
``chimera/celery.py`` makes every ``file://`` result store this one.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time

from celery.backends.filesystem import FilesystemBackend

# A prune lists the whole folder: at most once a minute per process is enough to keep it to
# about a result lifetime's worth of files.
PRUNE_SECONDS = 60.0


class ResultFiles(FilesystemBackend):
    """Celery's file store with files only the owner can read, ignored once expired, pruned as results arrive."""

    def __init__(self, *args, **kwargs):
        self.pruned_at = float("-inf")
        self._prune_lock = threading.Lock()
        super().__init__(*args, **kwargs)

    def set(self, key, value):
        """Write the whole file under another name first, so a reader never sees half of it."""
        path = self.file_of(key)
        partial = path + b".partial-" + str(threading.get_ident()).encode()
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "wb") as outfile:
            outfile.write(value if isinstance(value, bytes) else str(value).encode())
        os.replace(partial, path)
        self.prune()

    def get(self, key):
        """The stored value, or None once it has expired (deleted, as a Redis key would be)."""
        path = self.file_of(key)
        try:
            expired = self.expires and time.time() - os.stat(path).st_mtime > self.expires
        except FileNotFoundError:
            return None
        if expired:
            self._forget(path)
            return None
        return super().get(key)  # None as well when another process pruned it meanwhile

    def file_of(self, key: bytes) -> bytes:
        """Where the value of `key` is kept."""
        return self.sep.join((self.path, key))

    def prune(self) -> None:
        """Delete expired results, at most once every PRUNE_SECONDS in this process."""
        now = time.monotonic()
        with self._prune_lock:
            if now - self.pruned_at < PRUNE_SECONDS:
                return
            self.pruned_at = now
        self.cleanup()

    def stored(self) -> int:
        """How many task results the folder holds."""
        prefix = self.task_keyprefix
        return sum(1 for name in os.listdir(self.path) if name.startswith(prefix))

    def cleanup(self):
        """Celery's clean-up, tolerant of a file another process deleted first."""
        with contextlib.suppress(FileNotFoundError):
            super().cleanup()

    @staticmethod
    def _forget(path: bytes) -> None:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
