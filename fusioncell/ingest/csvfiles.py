"""The CSV files of a case: sources.csv, comms.csv, locations.csv, sightings.csv.

A CSV file is never loaded whole into Python. The engine stages it with every
column as a string (DuckDB ``read_csv``; Spark ``spark.read.csv``); checks
are Ibis expressions over the staged table, evaluated in *one* aggregate
pass on the happy path (detail rows are only fetched for a check that
fired); the typed rows are one Ibis ``SELECT`` that the engine writes into
the store. Identifiers are normalised on the distinct raw values only
(:mod:`fusioncell.ingest.idnorm`) and joined back.

Each file is described by a :class:`CsvSpec`: its columns, which are needed,
and how each is checked. Columns the spec does not know are kept in
``extra`` as a JSON object.
"""

from __future__ import annotations

import csv
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Hashable, Iterable, Sequence, cast

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.types as ir
import pyarrow as pa

from fusioncell.errors import Problem
from fusioncell.ingest.csvlines import all_record_lines, record_lines  # noqa: F401  (re-exported)
from fusioncell.ingest.csvproblems import MAX_PROBLEMS, problem_rows, quarantine_rows
from fusioncell.ingest.idnorm import IdNormalizer
from fusioncell.ingest.idrule import IdRule, identifier_rule, rule_holds
from fusioncell.ingest.typedtime import (ODD, ODD_VALUE, canonical_offset, first_offset, raw_time, restore,
                                          time_parts, time_value)
from fusioncell.store.engine import ROW_COL, CsvReadError, DuckDBEngine, Engine, Lazy

log = logging.getLogger(__name__)

#: At most this many columns in a CSV header (the format has a dozen; unknown ones are kept in ``extra``).
MAX_COLUMNS = 256

TS_UTC = dt.Timestamp(timezone="UTC")
#: ISO 8601 with an offset; years 1900-2100, offsets within ±14:00 (what exists on Earth)
_TIME_OK = (r"^\s*(19\d{2}|20\d{2}|2100)-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}([.,]\d+)?)?\s*"
            r"([Zz]|[+-](0\d|1[0-3])(:?[0-5]\d)?|[+-]14(:?00)?)\s*$")
_TIME_SHAPE = r"^\s*\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}([.,]\d+)?)?\s*([Zz]|[+-]\d{2}(:?\d{2})?)\s*$"
#: a plain decimal number: no underscores, no inf or nan, no hex
_NUMBER = r"^\s*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\s*$"
_TIME_NAIVE = r"^\s*\d{4}-\d{2}-\d{2}([Tt ]\d{2}:\d{2}(:\d{2}([.,]\d+)?)?)?\s*$"

#: a number longer than this is not a measurement (5,000 digits once read as infinity)
MAX_NUMBER_CHARS = 40
#: a radius or accuracy beyond half the Earth's circumference says nothing
MAX_RADIUS_M = 20_037_509.0
#: a call or session longer than a leap year is not one
MAX_DURATION_S = 366 * 86_400.0
#: a value with something visible in it (not only white space, controls or format characters such as U+200B)
_VISIBLE = r"[^\s\p{Z}\p{Cc}\p{Cf}]"

#: Column kinds that hold a number (read as DOUBLE by the typed first read, :func:`read_csv_file`).
NUMBER_KINDS = ("float", "nonneg", "lat", "lon", "prob")

DISCIPLINES = ("SIGINT", "GEOINT", "IMINT", "HUMINT", "OSINT")
RELIABILITIES = ("A", "B", "C", "D", "E", "F")
CHANNELS = ("call", "sms", "message")


@dataclass(frozen=True, slots=True)
class Col:
    """One column of a case CSV file.

    ``kind`` is one of ``id``, ``text``, ``time``, ``float``, ``nonneg``,
    ``lat``, ``lon``, ``prob``, ``ident``, ``source``, ``enum``.
    ``header`` says the column must be in the header line; ``value`` that
    every row needs a value in it.
    """

    name: str
    kind: str
    header: bool = True
    value: bool = True
    choices: tuple[str, ...] = ()
    #: upper bound of a ``nonneg`` number (what is physically possible)
    hi: float | None = None


@dataclass(frozen=True, slots=True)
class CsvSpec:
    """A case CSV file: its name, store table and columns."""

    file: str
    table: str
    cols: tuple[Col, ...]
    unique: str | None = "event_id"
    #: (lat, lon) column pairs that are given together or not at all.
    pairs: tuple[tuple[str, str], ...] = ()
    extra_ok: bool = True
    col_map: dict[str, Col] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "col_map", {c.name: c for c in self.cols})


SOURCES = CsvSpec(
    "sources.csv",
    "sources",
    (
        Col("source_id", "id"),
        Col("agency", "text"),
        Col("discipline", "enum", choices=DISCIPLINES),
        Col("method", "text", header=False, value=False),
        Col("reliability", "enum", choices=RELIABILITIES),
        Col("releasable_to", "text", header=False, value=False),
        Col("tlp", "text", header=False, value=False),
    ),
    unique="source_id",
)
COMMS = CsvSpec(
    "comms.csv",
    "comms",
    (
        Col("event_id", "id"),
        Col("source_id", "source"),
        Col("start", "time"),
        Col("duration_s", "nonneg", hi=MAX_DURATION_S),
        Col("channel", "enum", choices=CHANNELS),
        Col("caller", "ident"),
        Col("callee", "ident"),
        Col("caller_lat", "lat", header=False, value=False),
        Col("caller_lon", "lon", header=False, value=False),
        Col("callee_lat", "lat", header=False, value=False),
        Col("callee_lon", "lon", header=False, value=False),
        Col("content", "text", header=False, value=False),
    ),
    pairs=(("caller_lat", "caller_lon"), ("callee_lat", "callee_lon")),
)
LOCATIONS = CsvSpec(
    "locations.csv",
    "locations",
    (
        Col("event_id", "id"),
        Col("source_id", "source"),
        Col("observed", "time"),
        Col("identifier", "ident"),
        Col("lat", "lat"),
        Col("lon", "lon"),
        Col("accuracy_m", "nonneg", header=False, value=False, hi=MAX_RADIUS_M),
    ),
)
SIGHTINGS = CsvSpec(
    "sightings.csv",
    "sightings",
    (
        Col("event_id", "id"),
        Col("source_id", "source"),
        Col("observed", "time"),
        Col("lat", "lat"),
        Col("lon", "lon"),
        Col("subject", "ident"),
        Col("confidence", "prob", header=False, value=False),
        Col("note", "text", header=False, value=False),
    ),
)

#: The observation CSV files, in ingest order.
OBSERVATION_SPECS = (COMMS, LOCATIONS, SIGHTINGS)


# -- reading -----------------------------------------------------------------
def read_header(path: Path, spec: CsvSpec) -> tuple[list[str], list[Problem]]:
    """The column names of a CSV file's header line, and what is wrong with them."""
    problems: list[Problem] = []
    with path.open("rb") as fh:
        first = fh.readline()
    if not first.strip():
        return [], [Problem(spec.file, 1, None, "the file is empty; expected a header line with the column names")]
    try:
        text = first.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return [], [Problem(spec.file, 1, None, f"not valid UTF-8 (byte {exc.start}); save the file as UTF-8")]
    names = [n.strip() for n in next(csv.reader([text.rstrip("\r\n")]))]
    if len(names) > MAX_COLUMNS:
        return [], [Problem(spec.file, 1, None, f"the header has {len(names):,} columns, more than the "
                                                f"{MAX_COLUMNS:,} a case file may have")]
    seen: set[str] = set()
    for n in names:
        if not n:
            problems.append(Problem(spec.file, 1, None, "a column in the header has no name"))
        elif n in seen:
            problems.append(Problem(spec.file, 1, n, f"column '{n}' appears twice in the header"))
        seen.add(n)
    for c in spec.cols:
        if c.header and c.name not in seen:
            problems.append(Problem(spec.file, 1, c.name, f"required column '{c.name}' is missing from the header"))
    for a, b in spec.pairs:
        if (a in seen) != (b in seen):
            missing = b if a in seen else a
            problems.append(Problem(spec.file, 1, missing, f"column '{missing}' is missing (give {a} and {b} together)"))
    return names, problems


# -- expressions ---------------------------------------------------------------
def _val(t: ir.Table, name: str, header: set[str]) -> ir.StringValue:
    """The stripped value of a column, NULL when empty or absent."""
    if name not in header:
        return ibis.null().cast("string")
    if f"_v_{name}" in t.columns:
        return t[f"_v_{name}"]
    return _strip(t[name])


def _strip(x: ir.StringValue) -> ir.StringValue:
    """Strip blank space, NULL when empty.

    Trimming every value costs ~5x a plain scan in DuckDB; values almost never
    carry blank space, so only those that start or end with it are trimmed.
    """
    padded = x.startswith(" ") | x.endswith(" ") | x.startswith("\t") | x.endswith("\t")
    return ibis.ifelse(padded, x.strip(), x).nullif("")


def _json_str(v: ir.StringValue) -> ir.StringValue:
    esc = (
        v.replace("\\", "\\\\")
        .replace('"', '\\"')
        .replace("\n", "\\n")
        .replace("\r", "\\r")
        .replace("\t", "\\t")
    )
    return ibis.ifelse(v.isnull(), ibis.literal("null"), ibis.literal('"') + esc + '"')


def extra_json(t: ir.Table, names: Sequence[str]) -> ir.StringValue:
    """A JSON object of the unknown columns (NULL when there are none)."""
    if not names:
        return ibis.null().cast("string")
    parts: list[ir.StringValue] = []
    for i, n in enumerate(names):
        key = ('{' if i == 0 else ',') + '"' + n.replace("\\", "\\\\").replace('"', '\\"') + '":'
        parts.append(ibis.literal(key) + _json_str(t[n]))
    return _balanced(parts, lambda a, b: a + b) + "}"


def visible(v: ir.StringValue) -> ir.BooleanValue:
    """Whether a value holds a visible character (``_VISIBLE``).

    A value that starts with a printable ASCII character (``!`` .. ``~``)
    holds one; only the others reach the Unicode regular expression (a CASE:
    the regex runs on those rows alone). Measured: 0.15 s against 0.4-0.6 s
    per 2M event ids.
    """
    code = v.ascii_str()
    return ibis.ifelse((code >= 33) & (code <= 126), ibis.literal(True), v.re_search(_VISIBLE))


@dataclass
class Check:
    """A per-row check: rows where ``bad`` holds are problems."""

    column: str | None
    bad: ir.BooleanValue
    message: ir.StringValue
    ref_row: ir.IntegerValue | None = None


def _checks(spec: CsvSpec, t: ir.Table, header: set[str], known_sources: set[str] | None,
            idmaps: dict[str, ir.Table | IdRule], bad_idents: set[str], dup_check: bool,
            plain_numbers: bool = False) -> list[tuple[Check, ir.Table]]:
    """Every check of a file, each with the table it is evaluated on.

    Checks on ``t`` itself are counted in one aggregate pass; the identifier
    check (a join) is only built when the distinct map holds an error, the
    duplicate check (a window) only when the pass saw fewer distinct keys
    than rows. ``plain_numbers`` (``filefacts.file_facts`` found no ``_``, vertical tab or two adjacent signs
    in the file) replaces the number check's regular expression by a test for ``inf``/``nan`` spellings.
    """
    out: list[tuple[Check, ir.Table]] = []

    def add(column: str | None, bad: ir.BooleanValue, message: ir.StringValue | str, table: ir.Table = t,
            ref_row: ir.IntegerValue | None = None) -> None:
        msg = ibis.literal(message) if isinstance(message, str) else message
        out.append((Check(column, bad.fill_null(False), msg, ref_row), table))

    for c in spec.cols:
        if c.name not in header:
            continue
        v = _val(t, c.name, header)
        text = t[c.name] if t[c.name].type().is_string() else t[c.name].cast("string")
        shown = ibis.literal("'") + text + "'"
        parts = time_parts(t, c.name)  # staged typed: the string checks read only the other spellings
        if c.value:
            add(c.name, v.isnull() if parts is None else parts.odd_value.isnull() & parts.instant.isnull(),
                f"'{c.name}' is empty")
            if c.kind in ("id", "text"):
                add(c.name, v.notnull() & ~visible(v),
                    f"'{c.name}' holds only invisible characters (white space, controls, zero-width)")
        if c.kind == "time":
            naive = v.re_search(_TIME_NAIVE)
            w = v if parts is None else parts.odd_value  # a canonical spelling passes (typedtime)
            ok = w.re_search(_TIME_OK) & w.try_cast(TS_UTC).notnull()
            shape = v.re_search(_TIME_SHAPE)
            add(c.name, w.notnull() & ~ok,
                ibis.ifelse(naive, ibis.literal("time without an offset: ") + shown
                            + " (write e.g. 2026-01-12T18:00:00-06:00 or a trailing Z)",
                            ibis.ifelse(shape, ibis.literal("implausible time (year outside 1900-2100 or offset beyond "
                                                            "±14:00): ") + shown,
                                        ibis.literal("not an ISO 8601 time with an offset: ") + shown)))
        elif c.kind in NUMBER_KINDS:
            _number_checks(c, v, text, plain_numbers, add)
        elif c.kind == "enum":
            canon = v.upper() if c.choices[0].isupper() else v.lower()
            add(c.name, v.notnull() & ~canon.isin(list(c.choices)),
                ibis.literal(f"'{c.name}' must be one of {', '.join(c.choices)}, not ") + shown)
        elif c.kind == "source" and known_sources is not None:
            add(c.name, v.notnull() & ~v.isin(sorted(known_sources) or [""]),
                ibis.literal("unknown source_id ") + ibis.literal("'") + t[c.name].strip()
                + "' (not in sources.csv)")
        elif c.kind == "ident" and c.name in idmaps and c.name in bad_idents:
            m = idmaps[c.name]
            assert not isinstance(m, IdRule)  # a rule is only proved on a map without errors
            j = t.left_join(m, t[c.name] == m.raw)
            add(c.name, v.notnull() & j["error"].notnull(), j["error"], table=j)
    if spec.table == "sources":
        _source_checks(t, header, add)
    for a, b in spec.pairs:
        if a in header and b in header:
            va, vb = _val(t, a, header), _val(t, b, header)
            add(b, va.isnull() != vb.isnull(), f"give {a} and {b} together, or neither")
    if dup_check and spec.unique and spec.unique in header:
        u = spec.unique
        key = _val(t, u, header)
        w = ibis.window(group_by=key, order_by=t[ROW_COL])
        d = t.mutate(_first=t[ROW_COL].min().over(group_by=key), _n=ibis.row_number().over(w))
        add(u, d[u].strip().nullif("").notnull() & (d["_n"] > 0),
            ibis.literal(f"duplicate {u} ") + ibis.literal("'") + d[u].strip() + "' (first on line {ref})",
            table=d, ref_row=d["_first"])
    return out


def _number_checks(c: Col, v: ir.Value, text: ir.StringValue, plain_numbers: bool,
                   add: Callable[..., None]) -> None:
    """The number check and the range check of a number column (``v``: its value, a string or, read by the
    typed first read, a DOUBLE; ``text``: its spelling as delivered)."""
    shown = ibis.literal("'") + text + "'"
    typed = not v.type().is_string()
    num = v if typed else v.try_cast("float64")
    too_long = ibis.literal(False) if typed else v.length() > MAX_NUMBER_CHARS
    if typed:
        # read as DOUBLE by the typed first read (a record whose number it cannot read was refused,
        # no field holds more than 40 number bytes): only inf and nan are left to refuse. Its messages
        # are never shown (a failed check stages the file again as strings).
        odd = num.isnan() | num.isinf()
    elif plain_numbers:
        # Without '_', '\v' and adjacent signs in the file, a value DuckDB reads as a number fails
        # _NUMBER only when it spells inf, infinity or nan (every one holds an 'n'; no number of the
        # format holds a letter but e): the same rows as the regular expression, at a fraction of
        # its cost (docs/benchmarks.md, "Ingest speed, round 6").
        odd = (num.isnan() | num.isinf()) & (v.contains("n") | v.contains("N"))
    else:
        odd = ~v.re_search(_NUMBER)
    add(c.name, v.notnull() & (num.isnull() | odd | too_long),
        ibis.ifelse(too_long, ibis.literal(f"number longer than {MAX_NUMBER_CHARS} characters: '")
                    + (text if typed else v).substr(0, 20) + "…'",
                    ibis.literal("not a finite decimal number: ") + shown))
    lo, hi, what = {
        "nonneg": (0.0, c.hi, "must not be negative" if c.hi is None else f"out of range 0..{c.hi:,.0f}"),
        "lat": (-90.0, 90.0, "latitude out of range -90..90"),
        "lon": (-180.0, 180.0, "longitude out of range -180..180"),
        "prob": (0.0, 1.0, "must be between 0 and 1"),
        "float": (None, None, ""),
    }[c.kind]
    if lo is not None or hi is not None:
        cond = num.isnan() | num.isinf()
        if lo is not None:
            cond = cond | (num < lo)
        if hi is not None:
            cond = cond | (num > hi)
        label = ibis.ifelse(num < 0, ibis.literal("must not be negative"), ibis.literal(what)) \
            if c.kind == "nonneg" else ibis.literal(what)
        add(c.name, num.notnull() & cond & ~too_long, label + ": " + text.strip())


#: an agency code: capitals, digits, '-' or '_' (no wildcard: "*" is not an agency)
_AGENCY = r"^[A-Z0-9][A-Z0-9_-]*$"
_AGENCY_LIST = r"^\s*([A-Z0-9][A-Z0-9_-]*(\s*;\s*[A-Z0-9][A-Z0-9_-]*)*)?\s*$"
#: TLP 2.0 levels (TLP 1.0 "white" read as clear), with or without the "TLP:" prefix
_TLP = r"^\s*([Tt][Ll][Pp]:)?\s*([Cc][Ll][Ee][Aa][Rr]|[Ww][Hh][Ii][Tt][Ee]|[Gg][Rr][Ee][Ee][Nn]|[Aa][Mm][Bb][Ee][Rr](\+[Ss][Tt][Rr][Ii][Cc][Tt])?|[Rr][Ee][Dd])\s*$"


def _source_checks(t: ir.Table, header: set[str], add: Callable[..., None]) -> None:
    """sources.csv: agency codes are codes (never a wildcard), TLP levels exist."""
    if "agency" in header:
        a = _val(t, "agency", header)
        add("agency", a.notnull() & ~a.re_search(_AGENCY),
            ibis.literal("not an agency code (capitals, digits, '-'): '") + t["agency"] + "'")
    if "releasable_to" in header:
        r = t["releasable_to"].fill_null("")
        add("releasable_to", ~r.re_search(_AGENCY_LIST),
            ibis.literal("releasable_to must be ';'-separated agency codes (no wildcard): '") + r + "'")
    if "tlp" in header:
        v = _val(t, "tlp", header)
        add("tlp", v.notnull() & ~v.re_search(_TLP),
            ibis.literal("unknown TLP level (clear, green, amber, amber+strict, red): '") + t["tlp"] + "'")


def _balanced(parts: list[ir.Value], op: Callable[[ir.Value, ir.Value], ir.Value]) -> ir.Value:
    """``parts`` combined pairwise: depth log2(n), where a left fold of hundreds of columns overflows
    DuckDB's expression depth limit (1000) and Python's stack."""
    while len(parts) > 1:
        parts = [op(parts[i], parts[i + 1]) if i + 1 < len(parts) else parts[i] for i in range(0, len(parts), 2)]
    return parts[0]


def _has_newline(t: ir.Table, names: Sequence[str]) -> ir.BooleanValue:
    if not names:
        return ibis.literal(False)
    out = _balanced([t[n].contains("\n").fill_null(False) for n in names], lambda a, b: a | b)
    return out


def _newline_count(t: ir.Table, names: Sequence[str]) -> ir.IntegerValue:
    if not names:
        return ibis.literal(0)
    counts = [t[n].fill_null("").length() - t[n].fill_null("").replace("\n", "").length() for n in names]
    return _balanced(counts, lambda a, b: a + b)


def canonical_time(raw: ir.StringValue, offset: str | None) -> ir.BooleanValue:
    """Whether a *valid* time is spelled exactly ``YYYY-MM-DDTHH:MM:SS`` + ``offset``.

    Such a spelling is what :func:`fusioncell.ingest.provenance` renders back
    from the typed time and the delivery's offset, so it is stored as NULL. The
    time already passed the checks (digits in place, a real date), so one LIKE
    pattern decides it; hour 24 (read as the next day's 00) is not canonical.
    """
    if offset is None:
        return ibis.literal(False)
    return raw.like(f"____-__-__T__:__:__{offset}") & (raw.substr(11, 2) != "24")


def _raw_time(raw: ir.StringValue, offset: str | None) -> ir.StringValue:
    return ibis.ifelse(canonical_time(raw, offset), ibis.null().cast("string"), raw)


def _typed(spec: CsvSpec, t: ir.Table, header: set[str], names: Sequence[str], sources: ir.Table,
           idmaps: dict[str, ir.Table | IdRule], line: ir.IntegerValue, time_offset: str | None = None) -> ir.Table:
    """The typed rows of a valid file, ready for the store table.

    Raw spellings: an identifier spelled exactly as its normalised form, and
    a time in the delivery's canonical spelling (:func:`canonical_time`), are
    NULL in ``*_raw`` (:mod:`fusioncell.ingest.provenance` renders them back).
    """
    def v(n: str) -> ir.StringValue:
        return _val(t, n, header)

    extra_names = [n for n in names if n not in spec.col_map]
    base = t.mutate(_line=line, _extra=extra_json(t, extra_names))
    if spec.table == "sources":
        rel = v("releasable_to")
        lst = rel.fill_null("").split(";").map(lambda x: x.strip()).filter(lambda x: x != "")
        return base.select(
            source_id=v("source_id"),
            agency=v("agency"),
            discipline=v("discipline").upper(),
            method=v("method"),
            reliability=v("reliability").upper(),
            releasable_to=lst,
            tlp=v("tlp"),
            extra=base["_extra"],
            line=base["_line"],
        )
    src = sources.select(_sid=sources.source_id, _agency=sources.agency)
    j = base.left_join(src, v("source_id") == src["_sid"])
    ident: dict[str, ir.StringValue] = {}
    for col, m in idmaps.items():
        if isinstance(m, IdRule):  # proved on the map (fusioncell.ingest.idrule): no join
            ident[col] = m.expr(j[col])
            continue
        mm = m.select(**{f"_raw_{col}": m.raw, f"_id_{col}": m.identifier})
        j = j.left_join(mm, j[col] == mm[f"_raw_{col}"])
        ident[col] = j[f"_id_{col}"]

    def raw_ident(col: str) -> dict[str, ir.Value]:
        # spelled exactly as its normalised form (+523115550101): NULL, read back as the identifier
        return {f"{col}_raw": ibis.ifelse(t[col] == ident[col], ibis.null().cast("string"), t[col])}
    def num(n: str) -> ir.FloatingValue:
        return v(n).cast("float64")

    def ts(n: str) -> ir.TimestampValue:
        p = time_parts(t, n)  # staged typed (typedtime): the instant, or the cast of another spelling
        return v(n).cast(TS_UTC) if p is None else time_value(p, p.odd_value.cast(TS_UTC))

    def raw_t(n: str) -> ir.StringValue:
        p = time_parts(t, n)
        return _raw_time(t[n], time_offset) if p is None else raw_time(p, _raw_time(p.odd, time_offset))

    common = dict(event_id=v("event_id"), source_id=v("source_id"), agency=j["_agency"])
    if spec.table == "comms":
        return j.select(
            **common,
            start=ts("start"),
            duration_s=num("duration_s"),
            channel=v("channel").lower(),
            caller=ident["caller"],
            callee=ident["callee"],
            caller_lat=num("caller_lat"),
            caller_lon=num("caller_lon"),
            callee_lat=num("callee_lat"),
            callee_lon=num("callee_lon"),
            content=t["content"] if "content" in header else ibis.null().cast("string"),
            **raw_ident("caller"),
            **raw_ident("callee"),
            start_raw=raw_t("start"),
            extra=j["_extra"],
            line=j["_line"],
        )
    if spec.table == "locations":
        return j.select(
            **common,
            observed=ts("observed"),
            identifier=ident["identifier"],
            lat=num("lat"),
            lon=num("lon"),
            accuracy_m=num("accuracy_m"),
            **raw_ident("identifier"),
            observed_raw=raw_t("observed"),
            extra=j["_extra"],
            line=j["_line"],
        )
    if spec.table == "sightings":
        return j.select(
            **common,
            observed=ts("observed"),
            lat=num("lat"),
            lon=num("lon"),
            subject=ident["subject"],
            confidence=num("confidence"),
            note=t["note"] if "note" in header else ibis.null().cast("string"),
            **raw_ident("subject"),
            observed_raw=raw_t("observed"),
            extra=j["_extra"],
            line=j["_line"],
        )
    raise ValueError(f"unknown table {spec.table}")  # pragma: no cover


# -- the whole file -------------------------------------------------------------
@dataclass
class CsvResult:
    """What reading one CSV file gave: its typed rows (a lazy expression) or problems."""

    problems: list[Problem]
    rows: Lazy | None = None
    n_records: int = 0
    #: Cache key of ``rows`` for the engine's compiled-SQL cache.
    key: Hashable | None = None
    #: With ``quarantine``: the bad rows set aside, one problem each (line, column, rule).
    quarantined: list[Problem] = field(default_factory=list)
    #: The UTC offset (``-06:00``) whose canonical time spellings are stored as NULL (see ``canonical_time``).
    time_offset: str | None = None


def _collapse_rejects(rejects: Sequence[tuple[int, str | None, str]], names: Sequence[str]) -> list[tuple[int, str | None, str]]:
    """One problem per refused line (DuckDB names each missing column separately)."""
    order = {n: i for i, n in enumerate(names)}
    out: dict[int, tuple[int, str | None, str]] = {}
    for line, column, message in rejects:
        prev = out.get(line)
        if prev is None or (column is not None and order.get(column, 1 << 30) < order.get(prev[1] or "", 1 << 30)):
            out[line] = (line, column, message)
    return [out[k] for k in sorted(out)]


def _map_identifiers(spec: CsvSpec, t: ir.Table, header: set[str], engine: Engine,
                     normalizer: IdNormalizer | None,
                     base_key: tuple[object, ...]) -> tuple[dict[str, ir.Table | IdRule], set[str]]:
    """Normalise the distinct spellings of the identifier columns once: the mapping table each column
    joins to (or the :class:`~fusioncell.ingest.idrule.IdRule` that gives the map's identifier for every
    spelling, proved on the map), and the columns holding a spelling that does not normalise."""
    idmaps: dict[str, ir.Table | IdRule] = {}
    bad_idents: set[str] = set()
    ident_cols = [c.name for c in spec.cols if c.kind == "ident" and c.name in header] if normalizer else []
    if normalizer is None or not ident_cols:
        return idmaps, bad_idents

    def distinct_raws() -> ir.Expr:
        parts = [t.select(raw=t[c]).filter(t[c].notnull()) for c in ident_cols]
        u = parts[0]
        for p in parts[1:]:
            u = u.union(p)
        return u.distinct()

    distinct = engine.to_arrow(distinct_raws, key=("distinct",) + base_key)
    mapped = normalizer.map_values(distinct.column("raw"), distinct=True)
    rule = identifier_rule(mapped, normalizer.region) if getattr(engine, "name", None) == "duckdb" else None
    if rule is not None and rule_holds(cast(DuckDBEngine, engine), mapped, rule, ("idrule",) + base_key + (rule,)):
        return {c: rule for c in ident_cols}, bad_idents  # the insert writes rule(raw): the map's identifier
    mapping = engine.from_arrow(mapped, name=f"_fc_idmap_{spec.table}")
    has_errors = mapped.column("error").null_count < mapped.num_rows
    for c in ident_cols:
        idmaps[c] = mapping
        if has_errors:
            bad_idents.add(c)
    return idmaps, bad_idents


def _typed_rows(path: Path, spec: CsvSpec, engine: Engine, stage: Callable[[], ir.Table], header: set[str],
                names: list[str], idmaps: dict[str, ir.Table | IdRule], time_offset: str | None,
                rejects: Sequence[tuple[int, str | None, str]], bad_lines: list[int], blank_lines: bool,
                has_newlines: bool) -> Lazy:
    """The (lazy) typed rows of a checked file, each with its physical line, the set-aside lines left out."""
    line_map: ir.Table | None = None
    if blank_lines:
        # The reader skipped blank lines: only re-reading the file gives exact lines.
        exact = all_record_lines(path, [r[0] for r in rejects])
        arrow = pa.table({"_lr": pa.array(range(len(exact)), pa.int64()),
                          "_exact_line": pa.array(exact, pa.int64())})
        line_map = engine.from_arrow(arrow, name=f"_fc_lines_{spec.table}")

    def typed() -> ir.Expr:
        t = stage()
        if line_map is not None:
            t = t.left_join(line_map, t[ROW_COL] == line_map["_lr"]).drop("_lr")
            line = t["_exact_line"]
        elif has_newlines:
            nl = _newline_count(t, names)
            before = nl.sum().over(ibis.window(order_by=t[ROW_COL], preceding=None, following=0)) - nl
            line = t[ROW_COL] + 2 + before
        else:
            line = t[ROW_COL] + 2
        src = engine.table("sources") if spec.table != "sources" else t
        out = _typed(spec, t, header, names, src, idmaps, line.cast("int64"), time_offset)
        return out.filter(~out["line"].isin(bad_lines)) if bad_lines else out

    return typed


def read_csv_file(path: Path, spec: CsvSpec, engine: Engine, normalizer: IdNormalizer | None,
                  known_sources: set[str] | None, mixed_newlines: bool = False,
                  blank_lines: bool = False, quarantine: bool = False, padded: bool = True,
                  quoted: bool = True, plain_numbers: bool = False, short_numbers: bool = False,
                  lines: int = 0) -> CsvResult:
    """Stage, check and type one CSV file of the case.

    Returns the problems of the file (all of them, up to :data:`MAX_PROBLEMS`)
    or, when there are none, the (lazy) Ibis expression of its typed rows.
    Expressions are built inside functions and carry a key, so an engine that
    compiled the same query before (same file kind, header and sources) skips
    building and compiling it. ``padded=False`` (``filefacts.file_facts`` proved
    that no field starts or ends with a space or tab) skips trimming: the
    stripped value is the value, and trimming cost a fifth of an ingest.
    ``quoted=False`` (the file holds no double quote, so no field spans
    lines) skips looking for line feeds in every value. ``plain_numbers=True`` (see :func:`_checks`) checks
    numbers without a regular expression.

    The typed first read: with ``plain_numbers``, ``short_numbers`` (no field of more than 40 number bytes),
    no padding and no blank lines, the number columns are staged as DOUBLE (no cast in the checks or the
    insert). It is the happy path only: when the reader refuses a record, any check fails, a key repeats or a
    record spans lines (``lines``: the file's physical lines, from the same facts), the file is staged again
    with every column a string and checked as before, so every message is the string path's.
    """
    if path.stat().st_size == 0:
        return CsvResult([Problem(spec.file, None, None, "the file is empty; expected a header line with the column names")])
    names, problems = read_header(path, spec)
    if problems:
        return CsvResult(problems)
    # the proof holds for DuckDB's reading of a number (fuzzed); another engine keeps the regular expression
    plain_numbers = plain_numbers and getattr(engine, "name", None) == "duckdb"
    doubles = tuple(n for n in names if n in spec.col_map and spec.col_map[n].kind in NUMBER_KINDS)
    args = (path, spec, engine, normalizer, known_sources, names, mixed_newlines, blank_lines, quarantine,
            padded, quoted, plain_numbers)
    if doubles and plain_numbers and short_numbers and not padded and not blank_lines:
        time_cols = [c.name for c in spec.cols if c.kind == "time"]
        offset = first_offset(path, names, time_cols[0]) if len(time_cols) == 1 else None
        first = _read_staged(*args, doubles=doubles, lines=lines if quoted else None,
                             times={time_cols[0]: offset} if offset else {})
        if first is not None:
            return first
        log.debug("%s: the typed first read did not pass; staged again as strings", spec.file)
    out = _read_staged(*args)
    assert out is not None  # the string path always answers
    return out


def _read_staged(path: Path, spec: CsvSpec, engine: Engine, normalizer: IdNormalizer | None,
                 known_sources: set[str] | None, names: list[str], mixed_newlines: bool, blank_lines: bool,
                 quarantine: bool, padded: bool, quoted: bool, plain_numbers: bool,
                 doubles: tuple[str, ...] = (), lines: int | None = None,
                 times: dict[str, str] | None = None) -> CsvResult | None:
    """:func:`read_csv_file` after the header: stage, check, type. With ``doubles`` (the typed first read)
    None unless the file passes every check (the caller then stages it again with strings); ``times``: its
    time column (and the first record's offset) staged typed (:mod:`fusioncell.ingest.typedtime`)."""
    times = times or {}
    header = set(names)
    stage_name = f"_fc_csv_{spec.table}"
    try:
        staged = engine.stage_csv(path, names, mixed_newlines, name=stage_name, doubles=doubles, times=times)
    except CsvReadError as exc:
        if doubles:
            return None
        return CsvResult([Problem(spec.file, None, None, str(exc))])
    if doubles and staged.rejects:
        return None
    rejects = _collapse_rejects(staged.rejects, names)
    # not the file name: deliveries of a kind share compiled SQL
    base_key = (spec.table, tuple(names), padded, doubles, tuple(sorted(times.items())))

    def stage() -> ir.Table:
        # Stripped values computed once, in one projection, for every check and the insert.
        t = restore(staged.table, times)

        def value(x: ir.Value, n: str) -> ir.Value:
            return x if n in doubles else _strip(x) if padded else x.nullif("")
        return t.mutate(**{f"_v_{n}": value(t[n], n) for n in names if n in spec.col_map},
                        **{ODD_VALUE + n: value(t[ODD + n], n) for n in times})

    idmaps, bad_idents = _map_identifiers(spec, staged.table, header, engine, normalizer, base_key)

    known_key = tuple(sorted(known_sources)) if known_sources is not None else None

    def build(t: ir.Table, dup_check: bool) -> list[tuple[Check, ir.Table]]:
        return _checks(spec, t, header, known_sources, idmaps, bad_idents, dup_check, plain_numbers)

    def aggregate() -> ir.Expr:
        # One pass: how many rows fail each check, whether keys repeat, whether
        # any record spans lines.
        t = stage()
        checks = build(t, False)
        aggs = {f"c{i}": ck.bad.cast("int64").sum() for i, (ck, tbl) in enumerate(checks) if tbl is t}
        aggs["_n"] = t.count()
        if quoted and not doubles:  # typed: the records are counted against the file's lines instead
            aggs["_nl"] = _has_newline(t, names).cast("int64").sum()
        if spec.unique and spec.unique in header:
            key = _val(t, spec.unique, header)
            aggs["_keys"] = key.count()
            aggs["_distinct"] = key.nunique()
        return t.aggregate(**aggs)

    counts = engine.to_arrow(aggregate, key=("agg",) + base_key + (known_key, tuple(sorted(bad_idents)), quoted,
                                                          plain_numbers)
                             ).to_pylist()[0]
    n_records = int(counts["_n"] or 0)
    has_newlines = bool(counts.get("_nl"))
    dups = counts.get("_distinct") is not None and counts["_distinct"] < counts["_keys"]
    failing = [k for k, v in counts.items() if k.startswith("c") and v]
    if doubles and (failing or dups or bad_idents or (lines is not None and n_records + 1 != lines)):
        return None
    bad_rows: list[int] = []
    set_aside: list[Problem] = []
    if failing or dups or bad_idents or rejects:
        if quarantine:
            bad_rows, set_aside = quarantine_rows(path, spec, engine, stage(), build, dups, rejects)
        else:
            problems = problem_rows(path, spec, engine, stage(), build, counts, dups, rejects)
            if problems:
                return CsvResult(problems, None, n_records)

    time_offset = _time_offset(engine, restore(staged.table, times),
                               [c.name for c in spec.cols if c.kind == "time" and c.name in header], base_key)
    if times and set(times.values()) != {time_offset}:
        return None  # the first record is not in the offset tried: its canonical spellings are not NULL
    bad_lines = sorted({p.line for p in set_aside if p.line is not None})
    typed = _typed_rows(path, spec, engine, stage, header, names, idmaps, time_offset, rejects, bad_lines,
                        blank_lines, has_newlines)
    rules = tuple(sorted((c, m) for c, m in idmaps.items() if isinstance(m, IdRule)))
    key = ("typed",) + base_key + (has_newlines, blank_lines, tuple(bad_lines), time_offset, rules)
    return CsvResult([], typed, n_records - len(bad_lines), key=key, quarantined=set_aside, time_offset=time_offset)


def _time_offset(engine: Engine, t: ir.Table, time_cols: list[str], base_key: tuple[object, ...]) -> str | None:
    """The offset of the first record's time when it is spelled canonically (one row read), else None."""
    if len(time_cols) != 1:
        return None
    col = time_cols[0]
    first = engine.to_arrow(lambda: t.select(x=t[col]).limit(1), key=("first-time",) + base_key).column("x").to_pylist()
    return canonical_offset(first[0] if first else None)


def arrow_strings(values: Sequence[str | None]) -> pa.Array:
    """A string Arrow array (helper for tests and small tables)."""
    return pa.array(list(values), type=pa.string())
