"""A generated world with protected people, shared by the protected-person tests (built once a session).

See tests/test_protected_owner.py for what the canaries are; the world is
read-only for its users (a test that writes, such as ``unmask``, copies it).
"""

from __future__ import annotations

import copy
import csv
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from fusioncell.sim import simulate
from tests.casefolder import CaseFolder

#: (seed, difficulty, roles protected)
WORLDS = [(1003, "normal", ("seed_lead", "partner")), (1004, "hard", ("partner",))]
SHARE_FORMATS = ("stix", "ftm", "html", "json", "geojson", "kml")


def _spelled(digits: str) -> str:
    """Her national number with spaces, as an informant writes it: '342 575 9401'."""
    return f"{digits[:3]} {digits[3:6]} {digits[6:]}"


def _protect_world(root: Path, seed: int, difficulty: str, roles: tuple[str, ...]) -> tuple[Path, dict[str, Any]]:
    """Simulate a world, track the seed lead and the partner, protect ``roles``; return folder and canaries."""
    probe = root / "probe"
    simulate(probe, seed=seed, scale="small", days=20, difficulty=difficulty)
    truth = json.loads((probe / "truth.json").read_text(encoding="utf-8"))
    partner = truth["persons"][truth["roles"]["partner"]]
    track = [truth["seed_lead_identifier"]] + [p["identifier"] for p in partner["phones"][:1]]
    folder = root / "case"
    simulate(folder, seed=seed, scale="small", days=20, difficulty=difficulty, track=track)
    (folder / "truth.json").unlink()  # nothing a product could read
    people = [truth["persons"][truth["roles"][r]] for r in roles]
    canaries: set[str] = set()
    phones: list[str] = []
    entities = [json.loads(ln) for ln in (folder / "entities.jsonl").read_text(encoding="utf-8").splitlines()]
    by_id = {e["id"]: e for e in entities}
    for p in people:
        numbers = [x["identifier"] for x in p["phones"]]
        e = by_id.get(p["entity_id"] or "")
        if e is None:  # the case holds no entity for her yet: the analyst writes one
            p["entity_id"] = p["entity_id"] or f"person-protected-{numbers[0][-4:]}"
            e = {"id": p["entity_id"], "schema": "Person", "properties": {"name": [p["name"]]}}
            entities.append(e)
        e["protected"] = True  # the analyst marks her own entity and writes down her numbers
        e["properties"]["phone"] = sorted(set(e["properties"].get("phone", [])) | set(numbers))
        canaries |= {e["id"], *e["properties"].get("name", []), *e["properties"].get("alias", [])}
        canaries |= {f"alias:{a}" for a in e["properties"].get("alias", [])}
        phones += [n[3:] for n in numbers]
    (folder / "entities.jsonl").write_text(
        "".join(json.dumps(e, ensure_ascii=False) + "\n" for e in entities), encoding="utf-8")
    # a graded report about her in free text, from a source partners may see
    with open(folder / "sources.csv", newline="", encoding="utf-8") as fh:
        sources = list(csv.DictReader(fh))
    src = next((s for s in sources if s["releasable_to"]), sources[0])
    first = people[0]
    words = [first["name"], *([first["alias"]] if first.get("alias") else [])]
    extra = CaseFolder()
    extra.report(src["source_id"], _case_time(folder), 2,
                 text=f"{' alias '.join(words)} contesta en el {_spelled(first['phones'][0]['identifier'][3:])}"
                 if first["phones"] else " / ".join(words),
                 claims=[{"subject": _target(folder), "predicate": "associate_of", "object": first["entity_id"]}])
    with open(folder / "reports.jsonl", "a", encoding="utf-8") as fh:
        fh.write(json.dumps(extra.reports[-1], ensure_ascii=False) + "\n")
    return folder, {"words": sorted(c for c in canaries if isinstance(c, str) and len(c) >= 4), "phones": sorted(phones),
                    "agencies": _partners(sources), "phone_e164": "+52" + phones[0] if phones else None}


def _target(folder: Path) -> str:
    text = (folder / "case.toml").read_text(encoding="utf-8")
    return re.search(r'entity_id\s*=\s*"([^"]+)"', text).group(1)  # type: ignore[union-attr]


def _case_time(folder: Path) -> Any:
    from datetime import datetime

    with open(folder / "comms.csv", newline="", encoding="utf-8") as fh:
        first = next(csv.DictReader(fh))
    return datetime.fromisoformat(first["start"])


def _partners(sources: list[dict[str, str]]) -> list[str]:
    owner = "SEDENA-INT"
    named = {s["agency"] for s in sources} | {a for s in sources for a in s["releasable_to"].split(";") if a}
    return sorted(named - {owner})


def leaks(text: str, canaries: dict[str, Any]) -> list[str]:
    """Canaries found in ``text``: words case-insensitively, numbers in any grouping of their digits."""
    found = [w for w in canaries["words"] if re.search(re.escape(w), text, re.I)]
    for digits in canaries["phones"]:
        if re.search(r"[\s.()/-]{0,2}".join(digits), text):
            found.append(digits)
    return found


@contextmanager
def one_tearline_per_agency() -> Iterator[None]:
    """Within the block, ``share`` builds each agency's product once and serialises it per format.

    ``tearline`` takes no format: the product every format serialises is
    the same, so building it once per (agency, options) and running the CLI
    for each format tests the same bytes in a sixth of the time. The memo
    lives only inside the block (a test that patches the masking gets its
    own).
    """
    import fusioncell.products.share as share

    real = share.tearline
    memo: dict[tuple[str, str], Any] = {}

    def once(store: Any, to: str, **kw: Any) -> Any:
        key = (to, repr(sorted(kw.items())))
        if key not in memo:
            memo[key] = real(store, to, **kw)
        return copy.deepcopy(memo[key])

    share.tearline = once  # type: ignore[assignment]
    try:
        yield
    finally:
        share.tearline = real  # type: ignore[assignment]
