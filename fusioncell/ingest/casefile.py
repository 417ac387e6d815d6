"""case.toml: the case's identity, its legal authority and its targets.

A case without a legal authority is refused (:class:`PolicyViolation`), before
anything else of the folder is read. Every other problem of the file is an
:class:`InvalidCase` with the line and key.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers

from fusioncell.model.text import meaningful, visible
from fusioncell.errors import InvalidCase, PolicyViolation, Problem

FILE = "case.toml"
_CASE_ID = re.compile(r"^[a-z0-9-]+$")
#: An agency code, as in sources.csv: capitals, digits, '-' or '_' (no wildcard).
_AGENCY = re.compile(r"^[A-Z0-9][A-Z0-9_-]*$")
#: case.toml holds a few settings; a bigger file is not one.
MAX_TOML_BYTES = 1 << 20


@dataclass(frozen=True, slots=True)
class CaseToml:
    """What case.toml says, validated."""

    case_id: str
    title: str | None
    owner_agency: str
    legal_authority: str
    timezone: str
    phone_region: str | None
    targets: tuple[str, ...]
    #: Line of each target's ``entity_id`` in the file (for later problems).
    target_lines: dict[str, int]
    raw_toml: str
    #: ``[case] agencies``: every agency code the case may name (the owner included); None when the case
    #: declares none (then any well-formed code is accepted, as the shared format allows).
    agencies: tuple[str, ...] | None = None


def _line_of(text: str, key: str, value: str | None = None, after: int = 0) -> int | None:
    """The first line (1-based) from ``after`` that sets ``key`` (optionally to ``value``)."""
    pat = re.compile(rf"^\s*{re.escape(key)}\s*=" + (rf".*{re.escape(value)}" if value else ""))
    for i, line in enumerate(text.splitlines(), 1):
        if i > after and pat.search(line):
            return i
    return None


def _section_line(text: str, header: str) -> int | None:
    for i, line in enumerate(text.splitlines(), 1):
        if line.strip().startswith(header):
            return i
    return None


def read_case_toml(path: Path) -> CaseToml:
    """Read and validate case.toml.

    Raises
    ------
    PolicyViolation
        The case names no ``legal_authority``.
    InvalidCase
        Anything else wrong, every problem with its line and key.
    """
    text, doc = _parse(path)
    problems: list[Problem] = []
    case: Any = doc.get("case")
    if not isinstance(case, dict):
        raise InvalidCase([Problem(FILE, None, "case", "missing the [case] table")])
    case_line = _section_line(text, "[case]")

    def get(key: str, required: bool) -> str | None:
        val = case.get(key)
        if val is None:
            if required:
                problems.append(Problem(FILE, case_line, key, f"[case] {key} is required"))
            return None
        if not isinstance(val, str):
            problems.append(Problem(FILE, _line_of(text, key), key, f"[case] {key} must be a string"))
            return None
        val = visible(val)
        if required and not val:
            problems.append(Problem(FILE, _line_of(text, key), key,
                                    f"[case] {key} is empty (only white space or invisible characters)"))
            return None
        return val

    authority = case.get("legal_authority")
    if not isinstance(authority, str) or not meaningful(authority):
        raise PolicyViolation(
            f"{FILE}: [case] legal_authority is missing, empty or a placeholder (no letter or digit, or 'n/a', "
            "'TBD', 'none'): a case is only ingested under a "
            "recorded legal authority (e.g. legal_authority = \"Federal court order 113/2026\")"
        )
    case_id = get("id", True)
    if case_id is not None and not _CASE_ID.match(case_id):
        problems.append(Problem(FILE, _line_of(text, "id"), "id", f"case id {case_id!r} must match [a-z0-9-]+"))
    title = get("title", False)
    owner = get("owner_agency", True)
    if owner == "":
        problems.append(Problem(FILE, _line_of(text, "owner_agency"), "owner_agency", "[case] owner_agency is empty"))
    elif owner is not None and not _AGENCY.match(owner):
        problems.append(Problem(FILE, _line_of(text, "owner_agency"), "owner_agency",
                                f"not an agency code (capitals, digits, '-', no wildcard): {owner!r}"))
    agencies = _agencies(case.get("agencies"), owner, text, problems)
    tz = get("timezone", False) or "UTC"
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        problems.append(Problem(FILE, _line_of(text, "timezone"), "timezone", f"unknown IANA time zone {tz!r}"))
    region = get("phone_region", False)
    if region:
        region = region.upper()
        if region not in phonenumbers.SUPPORTED_REGIONS:
            problems.append(Problem(FILE, _line_of(text, "phone_region"), "phone_region",
                                    f"unknown phone_region {region!r} (an ISO 3166 code such as \"MX\")"))
    targets, target_lines = _targets(doc, text, problems)
    if problems:
        raise InvalidCase(problems)
    assert case_id is not None and owner is not None  # checked above
    return CaseToml(case_id, title, owner, visible(authority), tz, region, tuple(targets), target_lines, text,
                    agencies)


def _parse(path: Path) -> tuple[str, dict[str, Any]]:
    """The file's text and its TOML document; :class:`InvalidCase` when it is too big, empty, not UTF-8 or not TOML."""
    if path.stat().st_size > MAX_TOML_BYTES:
        raise InvalidCase([Problem(FILE, None, None, f"the file is larger than {MAX_TOML_BYTES:,} bytes; "
                                                     "case.toml holds a few settings")])
    data = path.read_bytes()
    if not data.strip():
        raise InvalidCase([Problem(FILE, None, None, "the file is empty; expected a [case] table")])
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InvalidCase([Problem(FILE, line, None, "not valid UTF-8; save the file as UTF-8")]) from None
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        m = re.search(r"line (\d+)", str(exc))
        raise InvalidCase([Problem(FILE, int(m.group(1)) if m else None, None, f"not valid TOML: {exc}")]) from None
    except RecursionError:
        raise InvalidCase([Problem(FILE, None, None, "not valid TOML: arrays or tables nested too deep")]) from None
    except ValueError as exc:  # an integer of thousands of digits (Python's int-string limit)
        raise InvalidCase([Problem(FILE, None, None, f"not valid TOML: {str(exc).split(':')[0]}")]) from None
    return text, doc


def _targets(doc: dict[str, Any], text: str, problems: list[Problem]) -> tuple[list[str], dict[str, int]]:
    """The ``[[targets]]`` entity ids in order, and the line of each (problems appended to ``problems``)."""
    targets: list[str] = []
    target_lines: dict[str, int] = {}
    raw_targets = doc.get("targets", [])
    if not isinstance(raw_targets, list):
        problems.append(Problem(FILE, _line_of(text, "targets"), "targets", "targets must be [[targets]] tables"))
        raw_targets = []
    after = 0
    for i, t in enumerate(raw_targets):
        eid = t.get("entity_id") if isinstance(t, dict) else None
        if not isinstance(eid, str) or not visible(eid):
            problems.append(Problem(FILE, None, "entity_id", f"target #{i + 1} has no entity_id"))
            continue
        line = _line_of(text, "entity_id", eid, after) or 0
        after = line
        if eid.strip() in target_lines:
            problems.append(Problem(FILE, line or None, "entity_id", f"target {eid!r} is listed twice"))
            continue
        targets.append(eid.strip())
        target_lines[eid.strip()] = line
    return targets, target_lines


def _agencies(raw: Any, owner: str | None, text: str, problems: list[Problem]) -> tuple[str, ...] | None:
    """``[case] agencies = ["SEDENA-INT", "PARTNER-US"]``: the agencies this case may name (the owner added)."""
    if raw is None:
        return None
    line = _line_of(text, "agencies")
    if not isinstance(raw, list) or not all(isinstance(a, str) for a in raw):
        problems.append(Problem(FILE, line, "agencies", "[case] agencies must be a list of agency codes"))
        return None
    out = [visible(a) for a in raw]
    for a in out:
        if not _AGENCY.match(a):
            problems.append(Problem(FILE, line, "agencies",
                                    f"not an agency code (capitals, digits, '-', no wildcard): {a!r}"))
    if owner and owner not in out:
        out.insert(0, owner)
    return tuple(dict.fromkeys(out))
