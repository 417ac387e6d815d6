"""The JSON-lines files of a case: entities.jsonl (FollowTheMoney) and reports.jsonl.

Both are read line by line (never whole) and handed to a *sink* in Arrow
batches, which the pipeline inserts inside the file's transaction; problems
are collected for the whole file, and any problem rolls the file back.

entities.jsonl is validated with the ``followthemoney`` library. FtM
*silently drops* a value it cannot clean (a phone number without a country,
an impossible date, a malformed e-mail); here every such value is a problem
that names the line and property, so nothing is lost without a word. Phone
numbers are normalised to E.164 with the case's ``phone_region`` before FtM
sees them, and references between entities must point at an id of the file.

reports.jsonl holds graded informant reports; each claim becomes one row of
``claims`` with the source's reliability and the report's credibility copied
in (``claim_no`` is the claim's 0-based index in the report's ``claims``).
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterator, cast

import pyarrow as pa

from fusioncell.errors import Problem
from fusioncell.ingest.idnorm import IdNormalizer
from fusioncell.model.identifiers import IdentifierError, normalize_identifier, normalize_phone
from fusioncell.model.text import visible

BATCH_ROWS = 50_000
#: as in the CSV files: a radius beyond half the Earth's circumference says nothing
MAX_RADIUS_M = 20_037_509.0
Sink = Callable[[str, pa.Table], None]

PREDICATES_WITH_OBJECT = ("partner_of", "family_of", "associate_of", "works_for", "uses", "meets")
PREDICATES_WITH_PLACE = ("located_near", "visits")
PREDICATES = PREDICATES_WITH_OBJECT + PREDICATES_WITH_PLACE

_OFFSET = re.compile(r"([Zz]|[+-]\d{2}(:?\d{2})?)$")
UTC_TS = pa.timestamp("us", tz="UTC")

ENTITY_SCHEMA = pa.schema([
    ("entity_id", pa.string()), ("schema", pa.string()), ("caption", pa.string()),
    ("properties", pa.string()), ("raw", pa.string()), ("line", pa.int64()),
])
ENTITY_ID_SCHEMA = pa.schema([
    ("entity_id", pa.string()), ("identifier", pa.string()), ("identifier_raw", pa.string()), ("prop", pa.string()),
])
REPORT_SCHEMA = pa.schema([
    ("report_id", pa.string()), ("source_id", pa.string()), ("agency", pa.string()), ("reported", UTC_TS),
    ("credibility", pa.int32()), ("text", pa.string()), ("raw", pa.string()), ("line", pa.int64()),
])
CLAIM_SCHEMA = pa.schema([
    ("report_id", pa.string()), ("claim_no", pa.int32()), ("source_id", pa.string()), ("agency", pa.string()),
    ("reliability", pa.string()), ("credibility", pa.int32()), ("reported", UTC_TS), ("subject", pa.string()),
    ("predicate", pa.string()), ("object", pa.string()), ("lat", pa.float64()), ("lon", pa.float64()),
    ("radius_m", pa.float64()), ("valid_from", UTC_TS), ("valid_to", UTC_TS), ("subject_raw", pa.string()),
    ("object_raw", pa.string()), ("raw", pa.string()),
])


@dataclass
class _Batcher:
    """Collect rows per table and flush them to the sink in Arrow batches."""

    sink: Sink
    schemas: dict[str, pa.Schema]
    rows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)

    def add(self, table: str, row: dict[str, Any]) -> None:
        buf = self.rows.setdefault(table, [])
        buf.append(row)
        if len(buf) >= BATCH_ROWS:
            self.flush(table)

    def flush(self, table: str | None = None) -> None:
        for name in [table] if table else list(self.rows):
            buf = self.rows.get(name) or []
            if buf:
                self.sink(name, pa.Table.from_pylist(buf, schema=self.schemas[name]))
                self.counts[name] = self.counts.get(name, 0) + len(buf)
            self.rows[name] = []


#: A report or an entity is a few kilobytes; a line beyond this is not one.
MAX_JSON_LINE_BYTES = 1 << 20


class _JsonRefused(ValueError):
    """Valid for Python's json module, not for a case file."""


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in pairs:
        if k in out:  # json.loads would keep the last silently: which one did the sender mean?
            raise _JsonRefused(f"key {k!r} appears twice in one object")
        out[k] = v
    return out


def _no_constant(name: str) -> Any:
    raise _JsonRefused(f"{name} is not a JSON number (write a finite number)")


#: Years a case time may fall in (as in the CSV files): year 0000 or 9999 is a typo, not a time.
YEARS = (1900, 2100)


def iter_json_lines(path: Path, file: str, problems: list[Problem]) -> Iterator[tuple[int, str, dict[str, Any]]]:
    """Yield ``(line, text, object)`` per non-blank line; bad lines become problems."""
    with path.open("rb") as fh:
        for lineno, data in enumerate(fh, 1):
            if lineno == 1 and data.startswith(b"\xef\xbb\xbf"):
                data = data[3:]
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError as exc:
                problems.append(Problem(file, lineno, None, f"not valid UTF-8 (byte {exc.start} of the line); save the file as UTF-8"))
                continue
            if not text.strip():
                continue
            if len(data) > MAX_JSON_LINE_BYTES:
                problems.append(Problem(file, lineno, None, f"line of {len(data):,} bytes is longer than the "
                                        f"{MAX_JSON_LINE_BYTES:,} a report or entity may take"))
                continue
            try:
                obj = json.loads(text, object_pairs_hook=_no_duplicate_keys, parse_constant=_no_constant)
                json.dumps(obj, ensure_ascii=False).encode("utf-8")  # lone surrogates ("\ud800") fail here
            except _JsonRefused as exc:
                problems.append(Problem(file, lineno, None, str(exc)))
                continue
            except json.JSONDecodeError as exc:
                problems.append(Problem(file, lineno, None, f"broken JSON: {exc.msg} (character {exc.colno})"))
                continue
            except RecursionError:
                problems.append(Problem(file, lineno, None, "JSON nested too deep"))
                continue
            except UnicodeEncodeError:
                problems.append(Problem(file, lineno, None, "a string holds a lone surrogate escape (e.g. \\ud800): "
                                        "not a character"))
                continue
            except ValueError as exc:  # e.g. an integer of thousands of digits
                problems.append(Problem(file, lineno, None, f"unreadable number: {str(exc)[:80]}"))
                continue
            if not isinstance(obj, dict):
                problems.append(Problem(file, lineno, None, "each line must be one JSON object"))
                continue
            yield lineno, text.strip(), obj


def parse_time(value: Any) -> datetime | None:
    """An aware UTC datetime from an ISO 8601 string with an offset, else None."""
    if not isinstance(value, str) or not _OFFSET.search(value.strip()):
        return None
    try:
        t = datetime.fromisoformat(value.strip().replace("z", "Z"))
    except ValueError:
        return None
    if t.tzinfo is None:  # pragma: no cover - the regex requires an offset
        return None
    if not YEARS[0] <= t.year <= YEARS[1]:
        return None
    return t.astimezone(timezone.utc)


def _time_problem(value: Any) -> str:
    if isinstance(value, str) and re.match(r"^\s*\d{4}-\d{2}-\d{2}([Tt ][\d:.]+)?\s*$", value):
        return f"time without an offset: {value!r} (write e.g. 2026-01-12T18:00:00-06:00 or a trailing Z)"
    if isinstance(value, str) and _OFFSET.search(value.strip()):
        try:
            datetime.fromisoformat(value.strip().replace("z", "Z"))
            return f"implausible time (year outside {YEARS[0]}-{YEARS[1]}): {value!r}"
        except ValueError:
            pass
    return f"not an ISO 8601 time with an offset: {value!r}"


# -- entities.jsonl --------------------------------------------------------------
@dataclass
class EntitiesResult:
    problems: list[Problem]
    ids: set[str]
    rows: int = 0
    #: the first line of each entity id read (also of lines with a problem)
    lines: dict[str, int] = field(default_factory=dict)
    #: ``(line, where, entity id)`` of every reference to another entity
    refs: list[tuple[int, str, str]] = field(default_factory=list)
    #: lines set aside by ``--quarantine``, one problem each
    quarantined: list[Problem] = field(default_factory=list)


_IDENT_PROPS = {"phone": "phone", "email": "email", "alias": "alias"}


_COORD_RANGE = {"latitude": 90.0, "longitude": 180.0}


def _coordinate_problem(key: str, value: str) -> str | None:
    """Why a latitude or longitude value is unusable (None when it is fine)."""
    try:
        x = float(value)
    except ValueError:
        return f"{key} {value!r} is not a number"
    if not math.isfinite(x) or abs(x) > _COORD_RANGE[key] or "_" in value:
        return f"{key} {value!r} out of range ±{_COORD_RANGE[key]:.0f}"
    return None


def read_entities(path: Path, file: str, region: str | None, sink: Sink, quarantine: bool = False) -> EntitiesResult:
    """Validate entities.jsonl with FollowTheMoney and send its rows to ``sink``.

    Rows go to the ``entities`` and ``entity_identifiers`` tables. Every value
    FtM would silently drop is a problem, and so is a reference to an entity
    id that is not in the file. With ``quarantine`` the lines with a problem
    are set aside (one :class:`Problem` a line in ``quarantined``), and so is
    every line that refers to an entity set aside; the rest is loaded.
    """
    if not quarantine:
        return _read_entities(path, file, region, sink, frozenset())
    first = _read_entities(path, file, region, lambda _t, _b: None, frozenset())
    if not first.problems:
        return _read_entities(path, file, region, sink, frozenset())
    problems, bad = list(first.problems), {p.line for p in first.problems if p.line is not None}
    while True:  # a line that refers to an entity set aside is set aside too (until nothing changes)
        kept = {eid: line for eid, line in first.lines.items() if line not in bad}
        more = [Problem(file, lineno, where, f"refers to entity {ref!r}, set aside on line {first.lines[ref]}")
                for lineno, where, ref in first.refs if lineno not in bad and ref in first.lines and ref not in kept]
        if not more:
            break
        problems += more
        bad |= {cast(int, p.line) for p in more}  # each made with a line number above
    res = _read_entities(path, file, region, sink, frozenset(bad))
    res.quarantined = one_problem_per_line(problems)
    return res


def one_problem_per_line(problems: list[Problem]) -> list[Problem]:
    """The problems of a JSON-lines file, one per line (a line is set aside whole): messages joined."""
    by_line: dict[int | None, list[Problem]] = {}
    for p in problems:
        by_line.setdefault(p.line, []).append(p)
    return [Problem(ps[0].file, line, ps[0].column, "; ".join(
        (f"{p.column}: " if p.column and i else "") + p.message for i, p in enumerate(ps)))
        for line, ps in sorted(by_line.items(), key=lambda kv: kv[0] or 0)]


def _read_entities(path: Path, file: str, region: str | None, sink: Sink, skip: frozenset[int]) -> EntitiesResult:
    """One pass over entities.jsonl; the lines in ``skip`` are passed over (set aside by the caller)."""
    # FollowTheMoney takes seconds to import: only a delivery that holds entities pays for it
    from followthemoney import model

    r = _EntityReader(file, region, _Batcher(sink, {"entities": ENTITY_SCHEMA, "entity_identifiers": ENTITY_ID_SCHEMA}))
    for lineno, text, obj in iter_json_lines(path, file, r.problems):
        if lineno in skip:
            continue
        head = r.head(lineno, obj)
        if head is None:
            continue
        eid, schema, props = head
        proxy = model.get_proxy({"id": eid, "schema": schema.name, "properties": {}})
        r.kept = {}
        for key, values in props.items():
            r.property(lineno, eid, schema, proxy, key, values)
        r.out.add("entities", {
            "entity_id": eid, "schema": schema.name, "caption": proxy.caption,
            "properties": json.dumps({**proxy.to_dict()["properties"], **r.kept}, ensure_ascii=False),
            "raw": text, "line": lineno,
        })
    problems = r.problems
    for lineno, where, ref in r.refs:
        if ref not in r.ids:
            problems.append(Problem(file, lineno, where, f"unknown entity reference {ref!r} (no entity with that id in {file})"))
    if not problems:
        r.out.flush()
    problems.sort(key=lambda p: (p.line or 0, p.column or ""))
    return EntitiesResult(problems, set(r.ids), r.out.counts.get("entities", 0), lines=dict(r.ids), refs=list(r.refs))


@dataclass
class _EntityReader:
    """One entities.jsonl being read: its problems, the ids seen (with their line), references to check."""

    file: str
    region: str | None
    out: _Batcher
    problems: list[Problem] = field(default_factory=list)
    ids: dict[str, int] = field(default_factory=dict)
    #: ``(line, where, entity id)`` of every reference to another entity (checked once the file is read)
    refs: list[tuple[int, str, str]] = field(default_factory=list)
    #: the current entity's properties that its FtM schema does not know, kept as given (strings)
    kept: dict[str, list[str]] = field(default_factory=dict)

    def head(self, lineno: int, obj: dict[str, Any]) -> tuple[str, Any, dict[str, Any]] | None:
        """The entity's id, FtM schema and properties, or None (a problem noted) when they are unusable."""
        from followthemoney import model

        file, problems, ids = self.file, self.problems, self.ids
        eid = obj.get("id")
        if not isinstance(eid, str) or not visible(eid):
            problems.append(Problem(file, lineno, "id", "entity has no 'id' (a string with something visible)"))
            return None
        eid = eid.strip()
        if "protected" in obj and not isinstance(obj["protected"], bool):
            problems.append(Problem(file, lineno, "protected", f"'protected' must be true or false, not "
                                                               f"{obj['protected']!r}"))
            return None
        if eid in ids:
            problems.append(Problem(file, lineno, "id", f"duplicate entity id {eid!r} (first on line {ids[eid]})"))
            return None
        ids[eid] = lineno
        schema_name = obj.get("schema")
        schema = model.get(schema_name) if isinstance(schema_name, str) else None
        if schema is None or schema.abstract:
            problems.append(Problem(file, lineno, "schema", f"unknown or abstract FollowTheMoney schema {obj.get('schema')!r}"))
            return None
        props = obj.get("properties", {})
        if props is None:
            props = {}
        if not isinstance(props, dict):
            problems.append(Problem(file, lineno, "properties", "'properties' must be an object of lists"))
            return None
        return eid, schema, props

    def property(self, lineno: int, eid: str, schema: Any, proxy: Any, key: str, values: Any) -> None:
        """Add the values of property ``key`` to ``proxy``; each unusable one is a problem."""
        where = f"properties.{key}"
        prop = schema.get(key)
        if not isinstance(values, list):
            values = [values]
        if prop is None:  # not FtM's: kept as given, like an extra CSV column (a partner's "color", "vin")
            self.keep(lineno, key, values)
            return
        for val in values:
            self.value(lineno, eid, schema, proxy, key, prop, val)

    def keep(self, lineno: int, key: str, values: list[Any]) -> None:
        """A property the entity's FtM schema does not know: its values kept as strings, not refused.

        The case format keeps what it does not know ("unknown extra columns are kept"); FtM would
        refuse the property, and the whole file with it. A value that is not a string or number is
        still a problem: there is no string to keep.
        """
        out = []
        for val in values:
            if val is None:
                continue
            if isinstance(val, (dict, list, bool)):  # (NaN and Infinity never get here: the JSON reader refuses them)
                self.problems.append(Problem(self.file, lineno, f"properties.{key}", f"value {val!r} is not a string"))
                return
            if str(val).strip():
                out.append(str(val).strip())
        if out:
            self.kept[key] = out

    def value(self, lineno: int, eid: str, schema: Any, proxy: Any, key: str, prop: Any, val: Any) -> None:
        """One value: cleaned by FtM (phones normalised to E.164 here), identifiers sent to ``entity_identifiers``."""
        from followthemoney.types import registry

        file, problems, out, where = self.file, self.problems, self.out, f"properties.{key}"
        if val is None:
            return
        if isinstance(val, (dict, list, bool)):
            problems.append(Problem(file, lineno, where, f"value {val!r} is not a string"))
            return
        sval = str(val).strip()
        if not sval:
            return
        if key in _COORD_RANGE:
            bad = _coordinate_problem(key, sval)
            if bad:
                problems.append(Problem(file, lineno, where, bad))
                return
        if prop.type == registry.phone:
            try:
                e164 = normalize_phone(sval, self.region)
            except IdentifierError as exc:
                problems.append(Problem(file, lineno, where, f"{exc} (FollowTheMoney would silently drop it)"))
                return
            proxy.add(prop, e164, cleaned=True)
            out.add("entity_identifiers", {"entity_id": eid, "identifier": e164, "identifier_raw": sval, "prop": key})
            return
        if prop.type == registry.entity:
            self.refs.append((lineno, where, sval))
            proxy.add(prop, sval, cleaned=True)
            return
        cleaned = prop.type.clean(sval, proxy=proxy)
        if cleaned is None:
            problems.append(Problem(file, lineno, where,
                                    f"FollowTheMoney cannot read {sval!r} as a {prop.type.name} and would silently drop it"))
            return
        proxy.add(prop, cleaned, cleaned=True)
        scheme = _IDENT_PROPS.get(key)
        if key == "registrationNumber" and schema.is_a("Vehicle"):
            scheme = "plate"
        if scheme in ("email", "alias", "plate"):
            try:
                ident = normalize_identifier(f"{scheme}:{sval}").value
            except IdentifierError as exc:  # pragma: no cover - value is non-empty
                problems.append(Problem(file, lineno, where, str(exc)))
                return
            out.add("entity_identifiers", {"entity_id": eid, "identifier": ident, "identifier_raw": sval, "prop": key})


# -- reports.jsonl -----------------------------------------------------------------
@dataclass
class ReportsResult:
    problems: list[Problem]
    rows: int = 0
    claims: int = 0
    #: reports set aside by ``--quarantine``, one problem a line
    quarantined: list[Problem] = field(default_factory=list)


def _number(obj: dict[str, Any], key: str) -> float | None:
    v = obj.get(key)
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(float(v)):
        return None
    return float(v)


def read_reports(path: Path, file: str, sources: dict[str, tuple[str, str]], normalizer: IdNormalizer,
                 sink: Sink, quarantine: bool = False) -> ReportsResult:
    """Validate reports.jsonl and send rows to ``reports`` and ``claims``.

    ``sources`` maps source_id to ``(agency, reliability)``. A report with a problem is never loaded in
    part; with ``quarantine`` it is set aside (``quarantined``, one problem a line) and the rest loaded.
    """
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    out = _Batcher(sink, {"reports": REPORT_SCHEMA, "claims": CLAIM_SCHEMA})
    for lineno, text, obj in iter_json_lines(path, file, problems):
        bad = len(problems)
        rid = obj.get("report_id")
        if not isinstance(rid, str) or not visible(rid):
            problems.append(Problem(file, lineno, "report_id", "report has no 'report_id' (a string with something "
                                                               "visible)"))
            rid = None
        else:
            rid = rid.strip()
            if rid in seen:
                problems.append(Problem(file, lineno, "report_id", f"duplicate report_id {rid!r} (first on line {seen[rid]})"))
            else:
                seen[rid] = lineno
        raw_sid = obj.get("source_id")
        sid = raw_sid.strip() if isinstance(raw_sid, str) else ""
        src = sources.get(sid) if sid else None
        if src is None:
            problems.append(Problem(file, lineno, "source_id", f"unknown source_id {raw_sid!r} (not in sources.csv)"))
        reported = None
        if obj.get("reported") is not None:
            reported = parse_time(obj["reported"])
            if reported is None:
                problems.append(Problem(file, lineno, "reported", _time_problem(obj["reported"])))
        cred = obj.get("credibility")
        if cred is not None:
            if isinstance(cred, str) and cred.strip().isdigit():
                cred = int(cred.strip())
            if isinstance(cred, bool) or not isinstance(cred, int) or not 1 <= cred <= 6:
                problems.append(Problem(file, lineno, "credibility", f"credibility must be an integer 1..6, not {obj.get('credibility')!r}"))
                cred = None
        text_v = obj.get("text")
        if text_v is not None and not isinstance(text_v, str):
            problems.append(Problem(file, lineno, "text", "'text' must be a string"))
        claims = obj.get("claims") or []
        if not isinstance(claims, list):
            problems.append(Problem(file, lineno, "claims", "'claims' must be a list of objects"))
            claims = []
        claim_rows = []
        for i, c in enumerate(claims):
            where = f"claims[{i}]"
            if not isinstance(c, dict):
                problems.append(Problem(file, lineno, where, "a claim must be an object"))
                continue
            row = _claim(c, where, file, lineno, normalizer, problems)
            if row is not None:
                row["claim_no"] = i
                claim_rows.append(row)
        if len(problems) > bad or rid is None or src is None:
            continue
        agency, reliability = src
        out.add("reports", {"report_id": rid, "source_id": sid, "agency": agency, "reported": reported,
                            "credibility": cred, "text": text_v, "raw": text, "line": lineno})
        for row in claim_rows:
            row.update(report_id=rid, source_id=sid, agency=agency, reliability=reliability,
                       credibility=cred, reported=reported)
            out.add("claims", row)
    if quarantine and problems:
        out.flush()
        return ReportsResult([], out.counts.get("reports", 0), out.counts.get("claims", 0),
                             quarantined=one_problem_per_line(problems))
    if not problems:
        out.flush()
    return ReportsResult(problems, out.counts.get("reports", 0), out.counts.get("claims", 0))


def _claim(c: dict[str, Any], where: str, file: str, lineno: int, normalizer: IdNormalizer,
           problems: list[Problem]) -> dict[str, Any] | None:
    before = len(problems)
    row: dict[str, Any] = {"raw": json.dumps(c, ensure_ascii=False)}

    def ident(key: str) -> str | None:
        raw = c.get(key)
        if not isinstance(raw, str) or not raw.strip():
            problems.append(Problem(file, lineno, f"{where}.{key}", f"claim needs a '{key}' (an identifier or entity id)"))
            return None
        value, _scheme, err = normalizer.normalize(raw)
        if err:
            problems.append(Problem(file, lineno, f"{where}.{key}", err))
        row[f"{key}_raw"] = raw
        return value

    row["subject"] = ident("subject")
    pred = c.get("predicate")
    if pred not in PREDICATES:
        problems.append(Problem(file, lineno, f"{where}.predicate", f"unknown predicate {pred!r} (one of {', '.join(PREDICATES)})"))
    row["predicate"] = pred
    row["object"] = ident("object") if pred in PREDICATES_WITH_OBJECT else None
    for key, lo, hi in (("lat", -90.0, 90.0), ("lon", -180.0, 180.0), ("radius_m", 0.0, MAX_RADIUS_M)):
        present = c.get(key) is not None
        num = _number(c, key)
        needed = pred in PREDICATES_WITH_PLACE and (key != "radius_m" or pred == "located_near")
        if present and (num is None or not lo <= num <= hi):
            problems.append(Problem(file, lineno, f"{where}.{key}", f"{key} must be a number in {lo:,.0f}..{hi:,.0f}, "
                                                                   f"not {c.get(key)!r}"))
        elif needed and not present:
            problems.append(Problem(file, lineno, f"{where}.{key}", f"a {pred} claim needs '{key}'"))
        row[key] = num
    for key in ("valid_from", "valid_to"):
        if c.get(key) is None:
            row[key] = None
            continue
        row[key] = parse_time(c[key])
        if row[key] is None:
            problems.append(Problem(file, lineno, f"{where}.{key}", _time_problem(c[key])))
    row.setdefault("object_raw", None)
    return row if len(problems) == before else None
