"""Which agencies a case names, and which of its codes look like typos when it declares none.

The shared case format (``../shared/spec/case-format.md``) has no list of
agencies: a case names them in ``owner_agency``, in each source's
``agency`` and in ``releasable_to``. Our extension ``[case] agencies``
declares them, and then ingest refuses any other code (docs/case-format.md).
A case written to the shared format alone must keep loading, so without the
declaration ingest cannot refuse a code; what it cannot prove it flags:

* a code named **only** in ``releasable_to`` — it owns no source and is not
  the owner — that is one edit (a letter added, dropped, changed, or two
  neighbours swapped) from a code the case names otherwise, or from a code
  more sources release to, is a **suspect** (``PARTNR-US`` beside
  ``PARTNER-US``). The source it was meant for is withheld from the real
  partner (it fails safe), and a product addressed to the suspect code
  would go to an agency that does not exist.

``fusioncell share`` lists the suspects on stderr (the owner's channel),
and refuses ``--to`` a suspect (exit 2): declaring ``[case] agencies`` (or
fixing the typo) settles it. With the declaration there are no suspects:
ingest has already checked every code.

>>> one_edit("PARTNR-US", "PARTNER-US"), one_edit("FGR", "FRG"), one_edit("FGR", "GN-INT")
(True, True, False)
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass

from fusioncell.errors import UsageError
from fusioncell.store import CaseStore


@dataclass(frozen=True, slots=True)
class SuspectAgency:
    """A ``releasable_to`` code that looks like a typo of ``like``."""

    code: str
    like: str
    lines: tuple[int, ...]  # sources.csv lines that name it

    def describe(self) -> str:
        where = ", ".join(str(n) for n in self.lines)
        return (f"sources.csv line {where}: releasable_to {self.code!r} is one letter from {self.like!r} and names "
                f"no source of its own — a typo? (declare [case] agencies in case.toml to settle it)")


def one_edit(a: str, b: str) -> bool:
    """Are ``a`` and ``b`` different by exactly one insertion, deletion, substitution or adjacent swap?"""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        return len(diff) == 1 or (len(diff) == 2 and diff[1] == diff[0] + 1
                                  and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]])
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    i = next((k for k in range(len(short)) if short[k] != long_[k]), len(short))
    return short[i:] == long_[i + 1:]


def declared_agencies(store: CaseStore) -> tuple[str, ...] | None:
    """``[case] agencies`` of the ingested case.toml (the owner added), or ``None`` when it declares none."""
    row = store.con.execute("SELECT owner_agency, raw_toml FROM case_info").fetchone()
    if not row or not row[1]:
        return None
    try:
        declared = tomllib.loads(str(row[1])).get("case", {}).get("agencies")
    except tomllib.TOMLDecodeError:
        return None
    if not isinstance(declared, list):
        return None
    return tuple(sorted({str(a) for a in declared} | {str(row[0])}))


def suspect_agencies(store: CaseStore) -> list[SuspectAgency]:
    """The ``releasable_to`` codes that look like typos (none when the case declares its agencies)."""
    if declared_agencies(store) is not None:
        return []
    rows = store.con.execute(
        """
        WITH r AS (SELECT line, unnest(releasable_to) AS code FROM sources)
        SELECT code, list(DISTINCT line ORDER BY line), count(*) FROM r GROUP BY code ORDER BY code
        """).fetchall()
    owners = {r[0] for r in store.con.execute(
        "SELECT owner_agency FROM case_info UNION SELECT agency FROM sources").fetchall() if r[0]}
    uses = {str(code): int(n) for code, _, n in rows}
    out = []
    for code, lines, n in rows:
        if code in owners:
            continue
        likes = sorted(o for o in owners | set(uses) if o != code and one_edit(code, o)
                       and (o in owners or uses[o] > n))
        if likes:
            out.append(SuspectAgency(str(code), likes[0], tuple(int(x) for x in lines)))
    return out


def check_recipient(store: CaseStore, agency: str) -> list[str]:
    """Warnings about the case's agency codes for a ``share --to agency``; refuse a suspect recipient.

    Raises
    ------
    UsageError
        ``agency`` is itself a suspect code (see the module docstring).
    """
    suspects = suspect_agencies(store)
    for s in suspects:
        if s.code == agency.strip():
            raise UsageError(f"--to {s.code}: {s.describe()}")
    return [s.describe() for s in suspects]
