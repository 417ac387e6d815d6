"""The case store's tables: the contract between ingest and every later stage.

One DuckDB database file per case. Times are ``TIMESTAMPTZ`` (stored as UTC
instants; the case's ``timezone`` says how to read local night/day).
Identifiers are normalised (see :mod:`fusioncell.model.identifiers`); the raw
value is kept beside them (``*_raw``). Every observation row keeps its
``source_id``, the owning ``agency`` and the ``line`` of the file it came from.
Columns of a case file that the format does not know are kept in ``extra``
(a JSON object), never dropped.

Derived tables written by analysis stages carry a ``run_id`` referencing
``runs``; stages never rewrite observation tables.
"""

from __future__ import annotations

from typing import Collection

#: A column's storage compression where DuckDB's automatic choice costs more than it saves: DICT_FSST
#: is most of the CPU of writing a string column of many distinct values (event ids, a carrier's
#: phone numbers: 0.45 CPU s per 2M rows against 0.2 for ZSTD at the same size). On a column of few
#: distinct values ZSTD takes more bytes (one target's own records). The values stored and read are
#: the same; only the bytes on disk differ. Fixed when a store is created; older stores keep "auto".
_ZSTD = " USING COMPRESSION zstd"

#: Observation and reference tables, created by ingest. Order matters for DDL only.
TABLES: dict[str, str] = {
    "case_info": """
        case_id VARCHAR NOT NULL,
        title VARCHAR,
        owner_agency VARCHAR NOT NULL,
        legal_authority VARCHAR NOT NULL,
        timezone VARCHAR NOT NULL,
        phone_region VARCHAR,
        raw_toml VARCHAR
    """,
    "targets": """
        entity_id VARCHAR PRIMARY KEY
    """,
    "sources": """
        source_id VARCHAR PRIMARY KEY,
        agency VARCHAR NOT NULL,
        discipline VARCHAR NOT NULL,
        method VARCHAR,
        reliability VARCHAR NOT NULL,
        releasable_to VARCHAR[] NOT NULL,
        tlp VARCHAR,
        extra JSON,
        line BIGINT
    """,
    # The five many-valued strings of ``comms`` are compressed with ZSTD, not DuckDB's automatic
    # choice (DICT_FSST): the same values, half the CPU to write when a column holds ~100k+ distinct
    # values (docs/benchmarks.md, "Ingest speed, round 8").
    "comms": f"""
        event_id VARCHAR{_ZSTD} NOT NULL,
        source_id VARCHAR NOT NULL,
        agency VARCHAR NOT NULL,
        start TIMESTAMPTZ NOT NULL,
        duration_s DOUBLE NOT NULL,
        channel VARCHAR NOT NULL,
        caller VARCHAR{_ZSTD} NOT NULL,
        callee VARCHAR{_ZSTD} NOT NULL,
        caller_lat DOUBLE,
        caller_lon DOUBLE,
        callee_lat DOUBLE,
        callee_lon DOUBLE,
        content VARCHAR,
        caller_raw VARCHAR{_ZSTD},
        callee_raw VARCHAR{_ZSTD},
        start_raw VARCHAR,
        extra JSON,
        line BIGINT,
        delivery_id VARCHAR
    """,
    "locations": """
        event_id VARCHAR NOT NULL,
        source_id VARCHAR NOT NULL,
        agency VARCHAR NOT NULL,
        observed TIMESTAMPTZ NOT NULL,
        identifier VARCHAR NOT NULL,
        lat DOUBLE NOT NULL,
        lon DOUBLE NOT NULL,
        accuracy_m DOUBLE,
        identifier_raw VARCHAR,
        observed_raw VARCHAR,
        extra JSON,
        line BIGINT,
        delivery_id VARCHAR
    """,
    "sightings": """
        event_id VARCHAR NOT NULL,
        source_id VARCHAR NOT NULL,
        agency VARCHAR NOT NULL,
        observed TIMESTAMPTZ NOT NULL,
        lat DOUBLE NOT NULL,
        lon DOUBLE NOT NULL,
        subject VARCHAR NOT NULL,
        confidence DOUBLE,
        note VARCHAR,
        subject_raw VARCHAR,
        observed_raw VARCHAR,
        extra JSON,
        line BIGINT,
        delivery_id VARCHAR
    """,
    "reports": """
        report_id VARCHAR PRIMARY KEY,
        source_id VARCHAR NOT NULL,
        agency VARCHAR NOT NULL,
        reported TIMESTAMPTZ,
        credibility INTEGER,
        text VARCHAR,
        raw JSON,
        line BIGINT,
        delivery_id VARCHAR
    """,
    # One row per claim of a report; grades copied in for convenient weighting.
    "claims": """
        report_id VARCHAR NOT NULL,
        claim_no INTEGER NOT NULL,
        source_id VARCHAR NOT NULL,
        agency VARCHAR NOT NULL,
        reliability VARCHAR,
        credibility INTEGER,
        reported TIMESTAMPTZ,
        subject VARCHAR NOT NULL,
        predicate VARCHAR NOT NULL,
        object VARCHAR,
        lat DOUBLE,
        lon DOUBLE,
        radius_m DOUBLE,
        valid_from TIMESTAMPTZ,
        valid_to TIMESTAMPTZ,
        subject_raw VARCHAR,
        object_raw VARCHAR,
        raw JSON,
        delivery_id VARCHAR
    """,
    # FollowTheMoney entities as given (validated with followthemoney).
    "entities": """
        entity_id VARCHAR PRIMARY KEY,
        schema VARCHAR NOT NULL,
        caption VARCHAR,
        properties JSON,
        raw JSON,
        line BIGINT
    """,
    # Identifiers an entity declares: Person.phone -> +52..., Vehicle.registrationNumber
    # -> plate:..., Person.alias -> alias:..., Person.email -> email:...
    "entity_identifiers": """
        entity_id VARCHAR NOT NULL,
        identifier VARCHAR NOT NULL,
        identifier_raw VARCHAR,
        prop VARCHAR NOT NULL
    """,
    # Every normalised identifier seen anywhere in the case, with where it appears.
    "identifiers": """
        identifier VARCHAR PRIMARY KEY,
        scheme VARCHAR NOT NULL,
        n_comms BIGINT,
        n_locations BIGINT,
        n_sightings BIGINT,
        n_claims BIGINT,
        first_seen TIMESTAMPTZ,
        last_seen TIMESTAMPTZ
    """,
    "ingest_log": """
        file VARCHAR NOT NULL,
        sha256 VARCHAR NOT NULL,
        rows BIGINT NOT NULL,
        ingested_at TIMESTAMPTZ NOT NULL,
        run_id VARCHAR
    """,
    # One row per case file loaded (a delivery): its id is the file name in the
    # case folder; observation rows carry it in ``delivery_id``.
    "deliveries": """
        delivery_id VARCHAR PRIMARY KEY,
        kind VARCHAR NOT NULL,
        path VARCHAR NOT NULL,
        sha256 VARCHAR NOT NULL,
        rows BIGINT NOT NULL,
        quarantined BIGINT NOT NULL,
        ingest_run VARCHAR NOT NULL,
        loaded_at TIMESTAMPTZ NOT NULL,
        first_load BOOLEAN NOT NULL
    """,
    # The one UTC offset most times of a delivery are written in (schema 2): a time spelled
    # exactly YYYY-MM-DDTHH:MM:SS+HH:MM in it is stored as NULL in ``start_raw`` /
    # ``observed_raw`` and rendered back from the typed time on read.
    "raw_time_offsets": """
        delivery_id VARCHAR PRIMARY KEY,
        time_offset VARCHAR NOT NULL,
        minutes INTEGER NOT NULL
    """,
    # What made the store: ``schema_version`` (see SCHEMA_VERSION).
    "store_meta": """
        key VARCHAR PRIMARY KEY,
        value VARCHAR NOT NULL
    """,
    "runs": """
        run_id VARCHAR PRIMARY KEY,
        stage VARCHAR NOT NULL,
        started TIMESTAMPTZ NOT NULL,
        params JSON
    """,
}

#: Observation tables and the column holding each row's time.
OBSERVATION_TIME = {
    "comms": "start",
    "locations": "observed",
    "sightings": "observed",
    "reports": "reported",
}


#: Tables whose rows carry the ``delivery_id`` of the case file they came from.
DELIVERY_TABLES = ("comms", "locations", "sightings", "reports", "claims")
#: The file each delivery table was filled from before deliveries existed (stores made earlier).
LEGACY_DELIVERY = {"comms": "comms.csv", "locations": "locations.csv", "sightings": "sightings.csv",
                   "reports": "reports.jsonl"}


#: Version of this schema. 1: before ``store_meta`` existed (every raw spelling a string per row);
#: 2: a raw spelling equal to its canonical rendering is NULL (an identifier spelled as its
#: normalised form; a time spelled as in ``raw_time_offsets``). An older store is migrated on open:
#: tables added, nothing rewritten; its rows keep their strings and read back unchanged.
SCHEMA_VERSION = 2


def ddl(skip: Collection[str] = ()) -> list[str]:
    """``CREATE TABLE IF NOT EXISTS`` statements for every table not named in ``skip`` (tables a store has)."""
    return [f"CREATE TABLE IF NOT EXISTS {name} ({cols.strip()})" for name, cols in TABLES.items() if name not in skip]


def migrations() -> list[str]:
    """Bring a store made by an older fusioncell up to this schema (idempotent).

    Stores made before deliveries existed get the ``delivery_id`` column; rows
    that came from a case file are given the one file of their kind.
    """
    out = [f"ALTER TABLE {t} ADD COLUMN IF NOT EXISTS delivery_id VARCHAR" for t in DELIVERY_TABLES]
    for t, file in LEGACY_DELIVERY.items():
        out.append(f"UPDATE {t} SET delivery_id = '{file}' WHERE delivery_id IS NULL AND line IS NOT NULL")
    out.append("UPDATE claims SET delivery_id = 'reports.jsonl' WHERE delivery_id IS NULL AND report_id IN "
               "(SELECT report_id FROM reports WHERE delivery_id = 'reports.jsonl')")
    kinds = "'sources.csv', 'entities.jsonl', 'case.toml', " + ", ".join(f"'{f}'" for f in LEGACY_DELIVERY.values())
    out.append("INSERT INTO deliveries (delivery_id, kind, path, sha256, rows, quarantined, ingest_run, loaded_at, "
               "first_load) SELECT file, file, file, arg_max(sha256, ingested_at), "
               "arg_max(rows, ingested_at), 0, coalesce(arg_max(run_id, ingested_at), ''), max(ingested_at), true "
               f"FROM ingest_log WHERE file IN ({kinds}) GROUP BY file")
    return out

