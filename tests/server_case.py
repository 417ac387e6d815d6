"""The example case with canaries, for the workbench's authorisation and leak tests.

Built from ``examples/op-tapalpa`` plus rows made by the schema-driven
:class:`tests.casefolder.CaseFolder` (so every added row is a valid case row):

* a **protected** cooperating witness (entity ``"protected": true``) whose
  phone calls the target's partner four times and is located near her home —
  releasable sources (``sigint-01``, ``geo-01``), so the partner's view holds
  her trace and only protection keeps her out;
* a **withheld** report from ``humint-07`` (not releasable to PARTNER-US)
  whose id, text and claimed number are canaries.

:data:`PROTECTED` and :data:`WITHHELD` list the strings that must never reach
a partner; the first must reach the owner's analyst only as pseudonyms.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

from tests.casefolder import CaseFolder, at
from tests.conftest import copy_example

OWNER, PARTNER = "SEDENA-INT", "PARTNER-US"
WITNESS_PHONE = "+523399990001"
WITNESS_ID = "person-witness-canary"
WITNESS_NAME = "Zacarías Canario Wence"
PARTNER_PHONE = "+523312345678"  # the target's partner (example case)
WITHHELD_PHONE = "+523388880002"
WITHHELD_REPORT = "r-canary-77"
WITHHELD_TEXT = "CANARYTEXT el testigo vive en Rancho Canario"
#: never to a partner, never in clear to the owner's analyst
PROTECTED = [WITNESS_PHONE[3:], WITNESS_ID, WITNESS_NAME, "Canario Wence"]
#: never to a partner (sources, methods and the withheld report); the owner's analyst may see them
WITHHELD = [WITHHELD_REPORT, "CANARYTEXT", "Rancho Canario", WITHHELD_PHONE[3:], "humint-07", "geo-02",
            "Registered informant", "Covert GPS tracker", "court order 113/2026", "sigint-01", "geo-01"]
USERS = {  # name: (role, agency)
    "ana": ("analyst", OWNER), "sue": ("supervisor", OWNER), "lia": ("liaison", OWNER),
    "pam": ("analyst", PARTNER), "pete": ("supervisor", PARTNER), "lee": ("liaison", PARTNER),
}
PASSWORD = "s3cret-enough"


def _append_csv(path: Path, rows: list[dict[str, object]]) -> None:
    with open(path, newline="", encoding="utf-8") as fh:
        header = next(csv.reader(fh))
    with open(path, "a", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=header)
        w.writerows(rows)


def canary_folder(dest: Path) -> Path:
    """A copy of the example case with the protected witness and the withheld report."""
    folder = copy_example(dest)
    extra = CaseFolder()
    for i, hour in enumerate((9.0, 13.5, 19.0, 21.5)):
        extra.call(WITNESS_PHONE, PARTNER_PHONE, at(8 + i, hour), source_id="sigint-01")
        extra.fix(WITNESS_PHONE, at(8 + i, hour), 20.6760, -103.3470, source_id="geo-01")
    for i, row in enumerate(extra.rows["comms.csv"]):
        row["event_id"] = f"c-canary-{i}"
    for i, row in enumerate(extra.rows["locations.csv"]):
        row["event_id"] = f"l-canary-{i}"
    _append_csv(folder / "comms.csv", extra.rows["comms.csv"])
    _append_csv(folder / "locations.csv", extra.rows["locations.csv"])
    extra.report("humint-07", at(12, 18.0), 2, text=WITHHELD_TEXT, claims=[
        {"subject": "person-target", "predicate": "uses", "object": WITHHELD_PHONE}])
    extra.reports[-1]["report_id"] = WITHHELD_REPORT
    with open(folder / "reports.jsonl", "a", encoding="utf-8") as fh:
        fh.write(json.dumps(extra.reports[-1], ensure_ascii=False) + "\n")
    witness = {"id": WITNESS_ID, "schema": "Person", "protected": True,
               "properties": {"name": [WITNESS_NAME], "phone": [WITNESS_PHONE]}}
    with open(folder / "entities.jsonl", "a", encoding="utf-8") as fh:
        fh.write(json.dumps(witness, ensure_ascii=False) + "\n")
    return folder
