"""Minimisation: mask identifiers of people who are not pertinent to the case.

An identifier is **pertinent** when it is within the investigated
neighbourhood:

* a target entity id, or an identifier a target entity declares;
* an identifier the case tracks or has sighted (``locations.identifier``,
  ``sightings.subject``), or that a graded report names (claim subject or
  object), or that a reference entity declares — i.e. someone already
  decided it matters;
* a communications contact of any of those with at least
  ``min_contacts`` events with them (default 3): a repeated contact of the
  investigated circle. A one-off caller (the pizza shop, a wrong number) is
  a bystander.

An identifier is **protected** when it is listed in
``minimisation_protected`` (see :func:`protect`) or declared by an entity
whose raw JSON carries ``"protected": true``. Protected identifiers are
masked even when pertinent, and even when the analyst names them on the
command line — except targets, which are never masked. In free text a
protected person is also caught in other spellings of her numbers, by her
bare alias and by her names (:mod:`fusioncell.security.spellings`).

Everything else that is a known identifier of the case is replaced in
products and listings by a stable keyed pseudonym,
``masked:<scheme>-<12 hex>``: HMAC-SHA256 of the identifier under a per-case
secret kept in the store (``minimisation_secret``). The same identifier
always gets the same pseudonym within a case, different cases give
unrelated pseudonyms, and nobody without the store's secret can reverse one.
:func:`unmask` (``fusioncell unmask CASE ID --reason ...``) reveals an
identifier, records who and why in ``minimisation_unmasked`` and in the
audit log, and from then on shows it in clear for that case.

Masking a number while publishing its trace is not minimisation (4
spatio-temporal points identify most people): products built by
:mod:`fusioncell.products.share` export no raw traces of masked identifiers.

>>> p = pseudonym(b"k" * 32, "+525511112222")
>>> p.startswith("masked:phone-"), pseudonym(b"k" * 32, "+525511112222") == p
(True, True)
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable

from fusioncell.errors import NotFound, UsageError
from fusioncell.security.spellings import Spellings
from fusioncell.store import CaseStore

PSEUDONYM_RE = re.compile(r"masked:[a-z]+-[0-9a-f]{12}")
_TOKEN_SPLIT = re.compile(r"([\s,;|=&()\[\]{}\"'<>]+)")  # "a|b" edge ids, "k=v" pairs split too

_DDL = (
    "CREATE TABLE IF NOT EXISTS minimisation_secret (k VARCHAR PRIMARY KEY, secret BLOB NOT NULL)",
    """CREATE TABLE IF NOT EXISTS minimisation_unmasked (
        identifier VARCHAR NOT NULL, pseudonym VARCHAR NOT NULL, actor VARCHAR NOT NULL,
        reason VARCHAR NOT NULL, recorded_at TIMESTAMPTZ NOT NULL)""",
    "CREATE TABLE IF NOT EXISTS minimisation_protected (identifier VARCHAR PRIMARY KEY, reason VARCHAR)",
)


def _root(store: CaseStore) -> CaseStore:
    while getattr(store, "parent", None) is not None:
        store = store.parent  # type: ignore[attr-defined]
    return store


def ensure_tables(store: CaseStore) -> None:
    if getattr(store, "read_only", False) and store.keeps_tables_as_they_are(
            {"minimisation_secret", "minimisation_unmasked", "minimisation_protected"}):
        return  # read as they are
    for stmt in _DDL:
        store.con.execute(stmt)


def case_secret(store: CaseStore) -> bytes:
    """The case's pseudonym key (created on first use, 32 random bytes).

    A releasability view carries its case's key, so pseudonyms agree between
    the owner's listings and a partner's product.
    """
    ensure_tables(store)
    row = store.con.execute("SELECT secret FROM minimisation_secret WHERE k = 'hmac'").fetchone()
    if row:
        return bytes(row[0])
    root = _root(store)
    key = case_secret(root) if root is not store else secrets.token_bytes(32)
    store.con.execute("INSERT INTO minimisation_secret (k, secret) VALUES ('hmac', ?)", [key])
    return key


def _scheme(identifier: str) -> str:
    if identifier.startswith("+"):
        return "phone"
    head, sep, _ = identifier.partition(":")
    if sep and head.isalpha():
        return head.lower()
    return "id"


def pseudonym(key: bytes, identifier: str) -> str:
    """The keyed pseudonym of ``identifier`` under ``key``."""
    digest = hmac.new(key, identifier.encode("utf-8"), hashlib.sha256).hexdigest()[:12]
    return f"masked:{_scheme(identifier)}-{digest}"


def pertinent_identifiers(store: CaseStore, min_contacts: int = 3) -> set[str]:
    """Identifiers within the investigated neighbourhood (see module docstring)."""
    rows = store.con.execute(
        """
        WITH seeds AS (
            SELECT entity_id AS id FROM targets
            UNION SELECT identifier FROM entity_identifiers
            UNION SELECT entity_id FROM entities
            UNION SELECT identifier FROM locations
            UNION SELECT subject FROM sightings
            UNION SELECT subject FROM claims
            UNION SELECT object FROM claims WHERE object IS NOT NULL
        ),
        contacts AS (
            SELECT callee AS id, count(*) AS n FROM comms WHERE caller IN (SELECT id FROM seeds) GROUP BY callee
            UNION ALL
            SELECT caller, count(*) FROM comms WHERE callee IN (SELECT id FROM seeds) GROUP BY caller
        )
        SELECT id FROM seeds
        UNION SELECT id FROM contacts GROUP BY id HAVING sum(n) >= ?
        """,
        [min_contacts],
    ).fetchall()
    return {r[0] for r in rows if r[0]}


def protected_identifiers(store: CaseStore) -> set[str]:
    """Identifiers marked protected (table or ``"protected": true`` on an entity)."""
    ensure_tables(store)
    rows = store.con.execute(
        """
        SELECT identifier FROM minimisation_protected
        UNION SELECT ei.identifier FROM entity_identifiers ei JOIN entities e USING (entity_id)
              WHERE try_cast(json_extract(e.raw, '$.protected') AS BOOLEAN)
        UNION SELECT entity_id FROM entities WHERE try_cast(json_extract(raw, '$.protected') AS BOOLEAN)
        """
    ).fetchall()
    out = {r[0] for r in rows}
    if out:
        # and every identifier resolved to a protected person (a "uses" claim, her plate, a successor phone)
        from fusioncell.resolve import person_of

        out |= {i for i, person in person_of(store).items() if person in out}
    return out


def mask_protected(store: CaseStore, result: Any) -> Any:
    """A copy of ``result`` with protected identifiers masked and nothing else.

    For the owner's own analyses (``locate``, ``plan``, ``report``), which
    show pertinent people in clear: a protected person — a cooperating
    witness, say — stays a pseudonym there too until someone unmasks her
    with a recorded reason (:func:`unmask`). Targets are never masked.
    """
    m = Minimiser(store)
    hidden = (m.protected & m.known) - m.clear
    if not hidden:
        return result
    m.clear = m.known - hidden
    return m.mask_result(result)


def protect(store: CaseStore, identifier: str, reason: str | None = None) -> None:
    """Mark an identifier protected: masked in every product even when pertinent."""
    ensure_tables(store)
    store.con.execute("INSERT OR REPLACE INTO minimisation_protected (identifier, reason) VALUES (?, ?)", [identifier, reason])


def unmasked_identifiers(store: CaseStore) -> set[str]:
    ensure_tables(store)
    return {r[0] for r in store.con.execute("SELECT identifier FROM minimisation_unmasked").fetchall()}


def _splits_rx() -> str:
    """The characters :data:`_TOKEN_SPLIT` splits on, as one RE2 class for DuckDB: an identifier with one in it
    is cut by the split, so free text holds it only across tokens. Python's ``\\s`` is every character
    ``str.isspace`` accepts (the no-break spaces too; RE2's ``\\s`` is ASCII only): listed one by one (the
    last one is U+3000)."""
    chars = [c for c in map(chr, range(0x3001)) if c.isspace() or _TOKEN_SPLIT.fullmatch(c)]
    return "[" + "".join(f"\\x{{{ord(c):x}}}" for c in chars) + "]"


def known_identifiers(store: CaseStore, among: Iterable[str] | None = None) -> set[str]:
    """Every identifier the case knows (the ``identifiers`` table and entity ids).

    With ``among``, only the known ones that are in ``among`` or that the token split cuts (an alias with a
    space: :class:`Minimiser` looks for those across tokens): what masking a text whose tokens are ``among``
    needs, read without fetching every identifier of the case (net18: 200,000 of them at 10 M call records
    were 0.16 CPU s of every `network` listing).
    """
    cols = (("identifiers", "identifier"), ("entity_identifiers", "identifier"), ("entities", "entity_id"),
            ("targets", "entity_id"))
    if among is None:
        rows = store.con.execute(" UNION ".join(f"SELECT {c} FROM {t}" for t, c in cols)).fetchall()
        return {r[0] for r in rows if r[0]}
    wanted = sorted({a for a in among if a})
    where = "{c} IN (SELECT unnest($among)) OR regexp_matches({c}, $splits)"
    rows = store.con.execute(" UNION ".join(f"SELECT {c} FROM {t} WHERE " + where.format(c=c) for t, c in cols),
                             {"among": wanted, "splits": _splits_rx()}).fetchall()
    return {r[0] for r in rows if r[0]}


def tokens_of(result: Any) -> set[str]:
    """Every string of a JSON-like result, its tokens and their cores (a token less a closing ``:.!?``): the
    values :meth:`Minimiser.mask_result` looks up in the known identifiers."""
    out: set[str] = set()
    stack = [result]
    while stack:
        x = stack.pop()
        if isinstance(x, str):
            out.add(x)
            for part in _TOKEN_SPLIT.split(x):
                out.add(part)
                out.add(part.rstrip(":.!?"))
        elif isinstance(x, dict):
            stack.extend(x.values())
        elif isinstance(x, (list, tuple)):
            stack.extend(x)
    return out


class Minimiser:
    """Masks a case's non-pertinent identifiers (computes the sets once).

    Parameters
    ----------
    store
        The case store or a releasability view of it.
    min_contacts
        Events with the investigated circle that make a contact pertinent.
    among
        The values to be masked, when known beforehand (:func:`tokens_of` of a result): the known identifiers
        are then read for those alone (:func:`known_identifiers`); None: every one of the case.
    """

    def __init__(self, store: CaseStore, min_contacts: int = 3, among: Iterable[str] | None = None) -> None:
        self.store = store
        self.key = case_secret(store)
        targets = {r[0] for r in store.con.execute(
            "SELECT entity_id FROM targets UNION SELECT identifier FROM entity_identifiers "
            "WHERE entity_id IN (SELECT entity_id FROM targets)"
        ).fetchall()}
        self.targets = targets
        self.protected = protected_identifiers(store) - targets
        self.unmasked = unmasked_identifiers(store)
        #: with ``among`` (the tokens of what will be masked, :func:`tokens_of`), the known identifiers among
        #: them, those the token split cuts and the protected ones: the same masks for those values
        self.known = known_identifiers(store, None if among is None else {*among, *self.protected})
        self.clear = (pertinent_identifiers(store, min_contacts) - self.protected) | targets | self.unmasked

    @property
    def clear(self) -> set[str]:
        """Known identifiers shown in clear (setting it drops the compiled spellings)."""
        return self._clear

    @clear.setter
    def clear(self, value: set[str]) -> None:
        self._clear = set(value)
        self._spelled: Spellings | None = None

    def keep(self, values: Iterable[str | None]) -> None:
        """Show ``values`` in clear too (what the analyst asked about) — but never a protected person.

        A protected identifier stays masked even when typed on the command
        line; only :func:`unmask` (with a recorded reason) shows it.
        """
        self.clear = self.clear | ({v for v in values if v} - (self.protected - self.unmasked))

    def is_masked(self, value: str) -> bool:
        """Would ``value`` be masked? (Only known identifiers of the case are.)"""
        return value in self.known and value not in self.clear

    def mask(self, value: str) -> str:
        """``value`` itself, or its pseudonym when it is a non-pertinent identifier."""
        if self.is_masked(value):
            return pseudonym(self.key, value)
        return value

    def spellings(self) -> "Spellings":
        """The hidden values tokens cannot catch (compiled once per ``clear``)."""
        if self._spelled is None:
            self._spelled = Spellings.build(self)
        return self._spelled

    def mask_text(self, text: str) -> str:
        """Mask identifiers inside free text.

        Whole tokens (split on white space, quotes, brackets, ``<>``) that are
        hidden identifiers become pseudonyms; so do hidden identifiers with a
        space in them ("alias:La Güera"), and for a protected person also
        every spelling of her numbers ("33 1234-5678", "+52 1 33…"), her
        bare aliases and her names (:class:`Spellings`).
        """
        if text in self.known:
            return self.mask(text)
        text = self.spellings().sub(text)
        parts = _TOKEN_SPLIT.split(text)
        return "".join(self._mask_token(p) for p in parts)

    def _mask_token(self, token: str) -> str:
        """A token, or its identifier masked when it ends a clause ("+52…:", "+52….")."""
        if token in self.known:
            return self.mask(token)
        core = token.rstrip(":.!?")
        if core != token and core in self.known:
            return self.mask(core) + token[len(core):]
        return token

    def mask_result(self, result: Any) -> Any:
        """A copy of a JSON-like result with every non-pertinent identifier masked."""
        if isinstance(result, str):
            return self.mask_text(result)
        if isinstance(result, dict):
            return {k: self.mask_result(v) for k, v in result.items()}
        if isinstance(result, (list, tuple)):
            return [self.mask_result(v) for v in result]
        return result


def mask(store: CaseStore, value: str) -> str:
    """Mask one value (see :class:`Minimiser`; build one when masking many)."""
    return Minimiser(store).mask(value)


def mask_result(store: CaseStore, result: Any) -> Any:
    """Mask every non-pertinent identifier in a result dict (strings, lists, nested)."""
    return Minimiser(store).mask_result(result)


def unmask(store: CaseStore, pseudonym_or_id: str, reason: str, actor: str | None = None) -> str:
    """Reveal the identifier behind a pseudonym, with a recorded justification.

    Parameters
    ----------
    store
        The case store (not a view: unmasking is the owner's decision).
    pseudonym_or_id
        A ``masked:…`` pseudonym as shown in a product (or the identifier itself,
        to unmask it ahead of time).
    reason
        Why the identity is needed to understand the intelligence. Required.
    actor
        The principal; default the current user.

    Returns
    -------
    str
        The identifier; from now on shown in clear in this case's products.

    Raises
    ------
    UsageError
        No reason given.
    NotFound
        The pseudonym matches no identifier of the case.
    """
    from fusioncell.security import audit

    if not reason or not reason.strip():
        raise UsageError("unmask needs a --reason: why the identity is needed")
    root = _root(store)
    key = case_secret(root)
    target = pseudonym_or_id.strip()
    candidates = known_identifiers(root)
    if PSEUDONYM_RE.fullmatch(target):
        found = [i for i in candidates if pseudonym(key, i) == target]
        if not found:
            raise NotFound(f"{target}: no identifier of this case has this pseudonym")
        identifier = found[0]
    elif target in candidates:
        identifier = target
    else:
        raise NotFound(f"{target}: not a pseudonym or identifier of this case")
    actor = actor or audit.current_actor()
    root.con.execute(
        "INSERT INTO minimisation_unmasked (identifier, pseudonym, actor, reason, recorded_at) VALUES (?, ?, ?, ?, ?)",
        [identifier, pseudonym(key, identifier), actor, reason.strip(), datetime.now(timezone.utc)],
    )
    audit.record(root, "unmask", {"pseudonym": pseudonym(key, identifier)}, why=reason.strip(), actor=actor)
    return identifier



def _listing_minimiser(store: CaseStore, keep: Iterable[str | None], among: Iterable[str] | None = None) -> Minimiser:
    m = Minimiser(store, among=among)
    m.keep(keep)
    return m


def _mask_file_with(m: Minimiser, path: str | os.PathLike[str]) -> None:
    p = Path(path)
    text = p.read_text(encoding="utf-8")
    masked = m.mask_text(text)
    if masked != text:
        p.write_text(masked, encoding="utf-8")


def mask_listing(store: CaseStore, result: Any, keep: Iterable[str | None] = (),
                 files: Iterable[str | os.PathLike[str] | None] = ()) -> Any:
    """A copy of a listing (``network``, ``meetings``, ``pattern``) with bystanders masked.

    Every known identifier of the case that is not pertinent (or is
    protected) becomes its pseudonym, in every string of ``result`` —
    identifiers, ``members`` lists and free text such as ``why``. Targets,
    unmasked identifiers and the values in ``keep`` (what the analyst asked
    about: the focus, ``--id``, ``--ids``) stay in clear — except a
    protected person, who stays a pseudonym even when typed, until
    :func:`unmask`. The pertinence
    sets are computed once for the result and the files.

    Parameters
    ----------
    store
        The case store (or a releasability view of it).
    result
        A JSON-like result (dicts, lists, strings, numbers).
    keep
        Values never masked in this listing; ``None`` entries are ignored.
    files
        Text files the command wrote (GraphML, GEXF) to mask in place, with
        the same rule; ``None`` entries are ignored.

    Returns
    -------
    Any
        The masked copy; ``result`` itself is not modified.
    """
    paths = [f for f in files if f is not None]
    # without files, the known identifiers are read for the result's own tokens only (net18)
    m = _listing_minimiser(store, keep, among=None if paths else tokens_of(result))
    for f in paths:
        _mask_file_with(m, f)
    return m.mask_result(result)


def mask_file(store: CaseStore, path: str | os.PathLike[str], keep: Iterable[str | None] = ()) -> None:
    """Mask bystanders in a text file written by a command (GraphML, GEXF), in place.

    Identifiers are matched as in :meth:`Minimiser.mask_text`: whole tokens
    (split on white space, quotes, brackets, ``<>``, ``|``, ``=``, ``&``), plus
    the spellings of :mod:`fusioncell.security.spellings`.
    """
    _mask_file_with(_listing_minimiser(store, keep), path)
