"""A schema-driven builder of case folders (the public input format), for end-to-end tests.

Rows are given as keyword arguments named after the columns of
docs/case-format.md; a missing required column or an unknown one is an error
here, so a test cannot silently write a row the format does not know.
``write()`` produces a folder that ``fusioncell ingest`` reads like any
partner's delivery.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

COLUMNS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    # file: (required, optional)
    "sources.csv": (("source_id", "agency", "discipline", "method", "reliability", "releasable_to"), ()),
    "comms.csv": (("event_id", "source_id", "start", "duration_s", "channel", "caller", "callee"),
                  ("caller_lat", "caller_lon", "callee_lat", "callee_lon", "content")),
    "locations.csv": (("event_id", "source_id", "observed", "identifier", "lat", "lon", "accuracy_m"), ()),
    "sightings.csv": (("event_id", "source_id", "observed", "lat", "lon", "subject", "confidence"), ("note",)),
}

UTC6 = timezone(timedelta(hours=-6))
T0 = datetime(2026, 2, 2, 0, 0, tzinfo=UTC6)  # a Monday, local midnight


def at(day: int, hour: float) -> datetime:
    """Local time ``hour`` on ``day`` days after T0 (UTC-6, as America/Mexico_City in February)."""
    return T0 + timedelta(days=day, hours=hour)


@dataclass
class CaseFolder:
    case_id: str = "test-scene"
    target: str = "person-target"
    rows: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: {k: [] for k in COLUMNS})
    reports: list[dict[str, Any]] = field(default_factory=list)
    entities: list[dict[str, Any]] = field(default_factory=list)
    #: extra FtM properties of the target entity (e.g. ``{"phone": [...]}``: a phone attributed to him)
    target_props: dict[str, list[str]] = field(default_factory=dict)
    _n: int = 0
    #: rows of each file already written (by ``write`` or ``deliver``): the next delivery starts after them
    _written: dict[str, int] = field(default_factory=dict)

    def _eid(self, prefix: str) -> str:
        self._n += 1
        return f"{prefix}-{self._n:06d}"

    def add(self, file: str, **row: Any) -> None:
        required, optional = COLUMNS[file]
        missing = [c for c in required if c not in row and c != "event_id"]
        unknown = [c for c in row if c not in required + optional]
        if missing or unknown:
            raise ValueError(f"{file}: missing {missing}, unknown {unknown}")
        if "event_id" in required and "event_id" not in row:
            row["event_id"] = self._eid(file.split(".")[0][:3])
        self.rows[file].append(row)

    # convenience wrappers, still by column name
    def source(self, source_id: str, discipline: str, reliability: str = "B", agency: str = "SEDENA-INT") -> None:
        self.add("sources.csv", source_id=source_id, agency=agency, discipline=discipline,
                 method=f"{discipline.lower()} collection", reliability=reliability, releasable_to="")

    def fix(self, ident: str, t: datetime, lat: float, lon: float, acc_m: float = 150.0, source_id: str = "geo") -> None:
        self.add("locations.csv", source_id=source_id, observed=t.isoformat(), identifier=ident, lat=lat, lon=lon,
                 accuracy_m=acc_m)

    def call(self, a: str, b: str, t: datetime, cell: tuple[float, float] | None = None,
             duration_s: int = 60, source_id: str = "cdr") -> None:
        extra = {"caller_lat": cell[0], "caller_lon": cell[1]} if cell else {}
        self.add("comms.csv", source_id=source_id, start=t.isoformat(), duration_s=duration_s, channel="call",
                 caller=a, callee=b, **extra)

    def sighting(self, subject: str, t: datetime, lat: float, lon: float, confidence: float,
                 note: str = "", source_id: str = "imint") -> None:
        self.add("sightings.csv", source_id=source_id, observed=t.isoformat(), lat=lat, lon=lon, subject=subject,
                 confidence=confidence, note=note)

    def report(self, source_id: str, reported: datetime, credibility: int, claims: list[dict[str, Any]],
               text: str = "test report") -> None:
        self.reports.append({"report_id": self._eid("r"), "source_id": source_id, "reported": reported.isoformat(),
                             "credibility": credibility, "text": text, "claims": claims})

    def person(self, eid: str, **props: list[str]) -> None:
        self.entities.append({"id": eid, "schema": "Person", "properties": {"name": [eid], **props}})

    def write(self, folder: Path) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "case.toml").write_text(
            f'[case]\nid = "{self.case_id}"\ntitle = "scene"\nowner_agency = "SEDENA-INT"\n'
            f'legal_authority = "Test order 1/2026"\ntimezone = "America/Mexico_City"\nphone_region = "MX"\n\n'
            f'[[targets]]\nentity_id = "{self.target}"\n', encoding="utf-8")
        for file, rows in self.rows.items():
            if not rows and file != "sources.csv":
                continue
            required, optional = COLUMNS[file]
            cols = list(required) + [c for c in optional if any(c in r for r in rows)]
            with open(folder / file, "w", newline="", encoding="utf-8") as fh:
                w = csv.DictWriter(fh, fieldnames=cols)
                w.writeheader()
                w.writerows(rows)
        ents = [{"id": self.target, "schema": "Person", "properties": {"name": ["Target"], **self.target_props}}]
        ents += self.entities
        (folder / "entities.jsonl").write_text("".join(json.dumps(e) + "\n" for e in ents), encoding="utf-8")
        if self.reports:
            (folder / "reports.jsonl").write_text("".join(json.dumps(r) + "\n" for r in self.reports), encoding="utf-8")
        self._written = {**{f: len(r) for f, r in self.rows.items()}, "reports.jsonl": len(self.reports)}
        return folder

    def deliver(self, folder: Path, label: str) -> list[str]:
        """Write the rows added since the last ``write``/``deliver`` as labelled deliveries
        (``comms-LABEL.csv``, ``locations-LABEL.csv`` ..., docs/case-format.md); return the file names."""
        out = []
        for file, rows in self.rows.items():
            new = rows[self._written.get(file, 0):]
            if not new or file == "sources.csv":
                continue
            required, optional = COLUMNS[file]
            cols = list(required) + [c for c in optional if any(c in r for r in new)]
            name = file.replace(".csv", f"-{label}.csv")
            with open(folder / name, "w", newline="", encoding="utf-8") as fh:
                w = csv.DictWriter(fh, fieldnames=cols)
                w.writeheader()
                w.writerows(new)
            out.append(name)
        new_reports = self.reports[self._written.get("reports.jsonl", 0):]
        if new_reports:
            name = f"reports-{label}.jsonl"
            (folder / name).write_text("".join(json.dumps(r) + "\n" for r in new_reports), encoding="utf-8")
            out.append(name)
        self._written = {**{f: len(r) for f, r in self.rows.items()}, "reports.jsonl": len(self.reports)}
        return out
