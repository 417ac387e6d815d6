"""The append-only, hash-chained audit log of a case.

Every ingest, analysis run, product, share, import, unmask (and later API
read) is one row of the ``audit_log`` table in the case store: who (the
principal: ``FUSIONCELL_USER`` or the OS user), when (UTC), what action,
on what, and why. Each entry's ``hash`` is the SHA-256 of the previous
entry's hash and the entry's own canonical content, so editing, deleting or
reordering any entry breaks the chain from that entry on, and
:func:`verify` names the first bad entry.

The chain alone cannot detect removal of the *last* entries (truncation),
a dropped table, or a rewritten last entry. So every append also anchors
the head outside the table it protects: in ``audit_anchor`` (another
table) and in a sidecar file ``<store>.audit-head`` beside the store file;
:func:`verify` checks the chain against both, and reports the anchored
head. A wholesale rewrite of store *and* sidecar by someone who can run
this code is still possible: keep the head hash that ``fusioncell audit
CASE`` prints somewhere else (a ticket, a paper log) and pass it back with
``--head``.
DuckDB has no triggers, so the table is append-only by convention and
tamper-*evident*, not tamper-proof.

>>> from fusioncell.store import CaseStore
>>> s = CaseStore.memory()
>>> e = record(s, "share", {"to": "PARTNER-US"}, why="op order 7", actor="ana")
>>> e.seq, verify(s).ok
(1, True)
"""

from __future__ import annotations

import getpass
import hashlib
import json
import os
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from fusioncell.store import CaseStore

AUDIT_DDL = """
CREATE TABLE IF NOT EXISTS audit_log (
    seq BIGINT NOT NULL,
    recorded_at TIMESTAMPTZ NOT NULL,
    actor VARCHAR NOT NULL,
    action VARCHAR NOT NULL,
    what VARCHAR,
    why VARCHAR,
    prev_hash VARCHAR NOT NULL,
    hash VARCHAR NOT NULL
)
"""

#: The hash the first entry chains from.
GENESIS = "0" * 64


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One audit entry as stored."""

    seq: int
    at: datetime
    actor: str
    action: str
    what: str | None
    why: str | None
    prev_hash: str
    hash: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "at": self.at.astimezone(timezone.utc).isoformat(),
            "actor": self.actor,
            "action": self.action,
            "what": self.what,
            "why": self.why,
            "hash": self.hash,
        }


@dataclass(frozen=True, slots=True)
class Verification:
    """Result of :func:`verify`: ``ok``, how many entries, and the first bad one."""

    ok: bool
    entries: int
    head: str
    bad_seq: int | None = None
    problem: str | None = None


def current_actor() -> str:
    """The principal: ``FUSIONCELL_USER`` if set, else the OS user."""
    user = os.environ.get("FUSIONCELL_USER", "").strip()
    if user:
        return user
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no passwd entry in some containers
        return f"uid:{os.getuid()}" if hasattr(os, "getuid") else "unknown"


def _root(store: CaseStore) -> CaseStore:
    """Audit goes to the real case even when called on a releasability view."""
    seen = 0
    while getattr(store, "parent", None) is not None and seen < 8:
        store = store.parent  # type: ignore[attr-defined]
        seen += 1
    return store


def ensure_table(store: CaseStore) -> None:
    """Create ``audit_log`` if it is missing."""
    store.con.execute(AUDIT_DDL)


def _canonical_what(what: Any) -> str | None:
    if what is None or isinstance(what, str):
        return what
    return json.dumps(what, sort_keys=True, ensure_ascii=False, default=str, separators=(",", ":"))


def _at_text(at: datetime) -> str:
    return at.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def entry_hash(prev_hash: str, seq: int, at: datetime, actor: str, action: str, what: str | None, why: str | None) -> str:
    """SHA-256 (hex) of the previous hash and this entry's canonical content."""
    body = json.dumps(
        [prev_hash, seq, _at_text(at), actor, action, what, why], ensure_ascii=False, separators=(",", ":")
    )
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def record(store: CaseStore, action: str, what: Any, why: str | None = None, actor: str | None = None) -> AuditEntry:
    """Append one entry to the case's audit log and return it.

    Parameters
    ----------
    store
        The case store (or a releasability view of it: the entry goes to the real case).
    action
        A short verb: ``ingest``, ``locate``, ``network``, ``report``, ``share``,
        ``import``, ``unmask``, ``read`` …
    what
        What it acted on: a string, or a JSON-able dict (stored canonically).
    why
        The stated justification, when there is one.
    actor
        The principal; default :func:`current_actor`.
    """
    root = _root(store)
    ensure_table(root)
    actor = actor or current_actor()
    what_text = _canonical_what(what)
    con = root.con
    con.execute("BEGIN TRANSACTION")
    try:
        last = con.execute("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1").fetchone()
        seq = int(last[0]) + 1 if last else 1
        prev = str(last[1]) if last else GENESIS
        at = datetime.now(timezone.utc)
        h = entry_hash(prev, seq, at, actor, action, what_text, why)
        con.execute("INSERT INTO audit_log (seq, recorded_at, actor, action, what, why, prev_hash, hash)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?)", [seq, at, actor, action, what_text, why, prev, h])
        con.execute(ANCHOR_DDL)
        con.execute("INSERT OR REPLACE INTO audit_anchor (k, entries, head) VALUES ('head', ?, ?)", [seq, h])
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    _write_sidecar(root, seq, h)
    return AuditEntry(seq, at, actor, action, what_text, why, prev, h)


#: The chain's head, kept apart from the table it protects: dropping or truncating
#: ``audit_log`` no longer leaves a shorter chain that verifies.
ANCHOR_DDL = "CREATE TABLE IF NOT EXISTS audit_anchor (k VARCHAR PRIMARY KEY, entries BIGINT NOT NULL, head VARCHAR NOT NULL)"


def sidecar_path(store: CaseStore) -> Path | None:
    """``<store>.audit-head`` beside a store file (None for an in-memory store)."""
    p = Path(str(store.path))
    if str(p) == ":memory:" or not p.parent.exists():
        return None
    return p.with_name(p.name + ".audit-head")


def _write_sidecar(store: CaseStore, entries_: int, head: str) -> None:
    p = sidecar_path(store)
    if p is None:
        return
    tmp = p.with_name(p.name + ".tmp")
    tmp.write_text(json.dumps({"entries": entries_, "head": head}) + "\n", encoding="utf-8")
    os.replace(tmp, p)


def anchors(store: CaseStore) -> list[tuple[str, int, str]]:
    """Where the chain's head was anchored: (where, entries, head) from the store and the sidecar file."""
    root = _root(store)
    out: list[tuple[str, int, str]] = []
    if root.has_table("audit_anchor"):
        row = root.con.execute("SELECT entries, head FROM audit_anchor WHERE k = 'head'").fetchone()
        if row:
            out.append(("store", int(row[0]), str(row[1])))
    p = sidecar_path(root)
    if p is not None and p.is_file():
        try:
            d = json.loads(p.read_text(encoding="utf-8"))
            out.append((p.name, int(d["entries"]), str(d["head"])))
        except (ValueError, KeyError, TypeError):
            out.append((p.name, -1, "unreadable"))
    return out


def entries(store: CaseStore) -> list[AuditEntry]:
    """Every audit entry in stored order (by insertion, i.e. ``rowid``)."""
    root = _root(store)
    if not root.has_table("audit_log"):
        return []
    rows = root.con.execute(
        "SELECT seq, recorded_at, actor, action, what, why, prev_hash, hash FROM audit_log ORDER BY rowid"
    ).fetchall()
    return [AuditEntry(int(r[0]), r[1], r[2], r[3], r[4], r[5], r[6], r[7]) for r in rows]


def verify(store: CaseStore, head: str | None = None) -> Verification:
    """Check the chain; name the first entry that was edited, deleted or moved.

    Entries are read in storage order. Entry *i* (1-based) must have
    ``seq == i``, ``prev_hash`` equal to entry *i-1*'s hash and a hash that
    recomputes from its content. An edit breaks the recomputed hash; a
    deletion breaks the sequence and the link; a reorder breaks both.
    With ``head`` (a hash printed earlier), the chain must also contain it,
    which detects truncation of the tail.
    """
    rows = entries(store)
    prev = GENESIS
    for i, e in enumerate(rows, start=1):
        if e.seq != i:
            what = "missing or moved entry" if e.seq > i else "entry out of order or duplicated"
            return Verification(False, len(rows), prev, i, f"entry {i}: {what} (found seq {e.seq})")
        if e.prev_hash != prev:
            return Verification(False, len(rows), prev, i, f"entry {i}: does not chain from entry {i - 1}")
        if entry_hash(e.prev_hash, e.seq, e.at, e.actor, e.action, e.what, e.why) != e.hash:
            return Verification(False, len(rows), prev, i, f"entry {i}: content does not match its hash (edited)")
        prev = e.hash
    if head is not None and head not in {e.hash for e in rows}:
        return Verification(
            False, len(rows), prev, len(rows) + 1, f"head {head[:12]}… not in the log: entries were removed from the end"
        )
    for where, n, anchored in anchors(store):
        if n != len(rows) or anchored != prev:
            problem = (f"the log holds {len(rows)} entries but its anchor ({where}) records {n} ending in "
                       f"{anchored[:12]}…: entries were removed, the table dropped, or the last entry rewritten")
            return Verification(False, len(rows), anchored, min(len(rows), max(n, 0)) + 1, problem)
    return Verification(True, len(rows), prev)


def record_command(store: CaseStore, command: str, why: str | None = None, actor: str | None = None,
                   **options: Any) -> AuditEntry:
    """Record one run of a CLI command that read or wrote the case.

    The entry's action is the command name; its ``what`` is the command's
    key options and outcome counts, with ``None`` options left out, e.g.
    ``record_command(cs, "locate", target="person-target", hypotheses=3)``
    stores ``{"hypotheses":3,"target":"person-target"}``. Nothing is printed:
    a command's stdout is a contract scripts parse.

    Parameters
    ----------
    store
        The case store the command opened.
    command
        The command name (``ingest``, ``info``, ``network``, ``pattern``,
        ``meetings``, ``locate``, ``plan`` …); becomes the entry's action.
    why
        The stated justification, when the command takes one.
    actor
        The principal; default :func:`current_actor`.
    **options
        What the command acted on (JSON-able values).

    Returns
    -------
    AuditEntry
        The entry as stored.
    """
    what = {k: v for k, v in options.items() if v is not None}
    return record(store, command, what or None, why=why, actor=actor)
