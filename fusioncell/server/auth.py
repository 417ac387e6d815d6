"""Workbench accounts: argon2 password hashes in the case store, signed session cookies, CSRF, login throttle.

Roles: ``analyst`` (reads and works the case), ``supervisor`` (also reads the
audit log and unmasks), ``liaison`` (a partner agency's user). What each may
read is decided by :mod:`fusioncell.server.scope` (a partner agency's account
sees only what ``share`` would release to it).
"""

from __future__ import annotations

import secrets
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import VerificationError, InvalidHashError

from fusioncell.errors import UsageError
from fusioncell.store import CaseStore

ROLES = ("analyst", "supervisor", "liaison")
TABLE = "workbench_users"
_hasher = PasswordHasher()


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: user name, role, agency; ``csrf`` is the session's write token."""

    name: str
    role: str
    agency: str
    csrf: str = ""


def ensure_table(store: CaseStore) -> None:
    store.con.execute(f"CREATE TABLE IF NOT EXISTS {TABLE} (name VARCHAR PRIMARY KEY, role VARCHAR NOT NULL, "
                      "agency VARCHAR NOT NULL, hash VARCHAR NOT NULL)")


def add_user(store: CaseStore, name: str, role: str, agency: str, password: str) -> Principal:
    """Add (or replace) a user; the password is stored only as an argon2 hash."""
    if role not in ROLES:
        raise UsageError(f"--role: {role!r} is not one of {', '.join(ROLES)}")
    if not name.strip() or not agency.strip():
        raise UsageError("NAME and --agency must not be empty")
    if len(password) < 8:
        raise UsageError("password: at least 8 characters")
    ensure_table(store)
    store.con.execute(f"INSERT OR REPLACE INTO {TABLE} VALUES (?, ?, ?, ?)",
                      [name, role, agency, _hasher.hash(password)])
    return Principal(name, role, agency)


def check_password(store: CaseStore, name: str, password: str) -> Principal | None:
    """The user if the password matches, else None (same answer for an unknown user)."""
    ensure_table(store)
    row = store.con.execute(f"SELECT role, agency, hash FROM {TABLE} WHERE name = ?", [name]).fetchone()
    if row is None:
        try:  # spend the same time as a real check, so timing does not reveal who exists
            _hasher.verify(_DUMMY, password)
        except (VerificationError, InvalidHashError):
            pass
        return None
    try:
        _hasher.verify(row[2], password)
    except (VerificationError, InvalidHashError):
        return None
    return Principal(name, row[0], row[1])


_DUMMY = _hasher.hash("not-a-real-password")


class Throttle:
    """At most ``limit`` failed logins per key within ``window`` seconds."""

    def __init__(self, limit: int = 5, window: float = 60.0) -> None:
        self.limit, self.window = limit, window
        self._fails: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def blocked(self, key: str) -> bool:
        now = time.monotonic()
        with self._lock:
            q = self._fails[key]
            while q and now - q[0] > self.window:
                q.popleft()
            return len(q) >= self.limit

    def fail(self, key: str) -> None:
        with self._lock:
            self._fails[key].append(time.monotonic())


def new_csrf() -> str:
    return secrets.token_urlsafe(24)
