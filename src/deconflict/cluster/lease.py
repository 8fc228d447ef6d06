"""The recorder's lease: a PostgreSQL session advisory lock on the ledger's database.

Only the holder of the lease writes the ledger. The lock belongs to one connection: when
the holder's process dies, PostgreSQL ends its session and the lock is free at once (TCP
keepalives bound the wait when its machine dies instead), and a standby that has been
asking takes it. A holder that loses its connection can no longer know that it is the
only writer: :meth:`Lease.held` turns false and the recorder stops at once.
"""

from __future__ import annotations

import threading
import time

import psycopg

__all__ = ["LEASE_KEY", "Lease"]

LEASE_KEY = 0x64_65_63_6F_6E_66
"""The advisory lock's key ("deconf" in ASCII)."""


class Lease:
    """The recorder lease on the database at ``url``."""

    def __init__(self, url: str, *, key: int = LEASE_KEY) -> None:
        self.url = url
        self.key = key
        self._conn: psycopg.Connection[tuple[object, ...]] | None = None
        self._lock = threading.Lock()

    def _connect(self) -> psycopg.Connection[tuple[object, ...]]:
        return psycopg.connect(
            self.url,
            autocommit=True,
            connect_timeout=5,
            keepalives=1,
            keepalives_idle=2,
            keepalives_interval=1,
            keepalives_count=3,
            tcp_user_timeout=5000,
        )

    def try_take(self) -> bool:
        """Take the lease if it is free (never waits on it)."""
        with self._lock:
            if self._conn is None or self._conn.closed:
                self._conn = self._connect()
            row = self._conn.execute("SELECT pg_try_advisory_lock(%s)", (self.key,)).fetchone()
            return bool(row and row[0])

    def wait(self, *, every_s: float = 0.2, stop: threading.Event | None = None) -> bool:
        """Block until the lease is taken (True) or ``stop`` is set (False)."""
        while stop is None or not stop.is_set():
            try:
                if self.try_take():
                    return True
            except psycopg.Error:
                with self._lock:
                    self._conn = None
            time.sleep(every_s)
        return False

    def held(self) -> bool:
        """Whether the lease's connection is still alive (so the lock is still ours)."""
        with self._lock:
            if self._conn is None or self._conn.closed:
                return False
            try:
                self._conn.execute("SELECT 1")
                return True
            except psycopg.Error:
                return False

    def release(self) -> None:
        with self._lock:
            if self._conn is not None and not self._conn.closed:
                self._conn.close()
            self._conn = None
