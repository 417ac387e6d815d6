#!/usr/bin/env python3
"""Validate clean-room case folders against case-format.md. Usage: validate.py CASE_OR_ROOT"""
import csv, json, os, re, sys
from datetime import datetime

HEAD = {
    "sources.csv": ["source_id", "agency", "discipline", "method", "reliability", "releasable_to"],
    "comms.csv": ["event_id", "source_id", "start", "duration_s", "channel", "caller", "callee", "caller_lat", "caller_lon",
                  "callee_lat", "callee_lon", "content"],
    "locations.csv": ["event_id", "source_id", "observed", "identifier", "lat", "lon", "accuracy_m"],
    "sightings.csv": ["event_id", "source_id", "observed", "lat", "lon", "subject", "confidence", "note"],
}
TIMECOL = {"comms.csv": "start", "locations.csv": "observed", "sightings.csv": "observed"}
TZRE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")
E164 = re.compile(r"^\+\d{8,15}$")


def tcheck(v, where, errs):
    if not TZRE.match(v or ""):
        errs.append(f"{where}: time without offset / malformed: {v!r}")
        return
    datetime.fromisoformat(v)


def validate(cd):
    errs = []
    toml = open(os.path.join(cd, "case.toml"), encoding="utf-8").read()
    for k in ("id", "title", "owner_agency", "legal_authority", "timezone", "entity_id"):
        if not re.search(rf'^\s*{k}\s*=\s*".+"', toml, re.M):
            errs.append(f"case.toml: missing {k}")
    cid = re.search(r'^id\s*=\s*"(.*)"', toml, re.M).group(1)
    if not re.fullmatch(r"[a-z0-9-]+", cid):
        errs.append(f"case.toml: bad id {cid}")
    target = re.search(r'entity_id\s*=\s*"(.*)"', toml).group(1)
    srcs = set()
    for fn, head in HEAD.items():
        p = os.path.join(cd, fn)
        with open(p, encoding="utf-8", newline="") as f:
            r = csv.reader(f)
            h = next(r)
            if h != head:
                errs.append(f"{fn}: header {h}")
            ids = set()
            for i, row in enumerate(r, start=2):
                if len(row) != len(head):
                    errs.append(f"{fn}:{i}: {len(row)} fields"); continue
                d = dict(zip(head, row))
                if fn == "sources.csv":
                    if d["source_id"] in srcs:
                        errs.append(f"{fn}:{i}: dup source")
                    srcs.add(d["source_id"])
                    if d["reliability"] not in list("ABCDEF") or d["discipline"] not in ("SIGINT", "GEOINT", "IMINT", "HUMINT", "OSINT"):
                        errs.append(f"{fn}:{i}: bad grade/discipline")
                    continue
                if d["event_id"] in ids:
                    errs.append(f"{fn}:{i}: duplicate event_id {d['event_id']}")
                ids.add(d["event_id"])
                if d["source_id"] not in srcs:
                    errs.append(f"{fn}:{i}: unknown source {d['source_id']}")
                tcheck(d[TIMECOL[fn]], f"{fn}:{i}", errs)
                for a, b in (("lat", "lon"), ("caller_lat", "caller_lon"), ("callee_lat", "callee_lon")):
                    if a in d and d[a] != "":
                        la, lo = float(d[a]), float(d[b])
                        if not (-90 <= la <= 90 and -180 <= lo <= 180):
                            errs.append(f"{fn}:{i}: bad coord")
                    elif a in d and d[b] != "":
                        errs.append(f"{fn}:{i}: half coordinate")
                if fn == "comms.csv":
                    if d["channel"] not in ("call", "sms", "message"):
                        errs.append(f"{fn}:{i}: channel")
                    if int(d["duration_s"]) < 0 or (d["channel"] != "call" and int(d["duration_s"]) != 0):
                        errs.append(f"{fn}:{i}: duration")
                    for k in ("caller", "callee"):
                        if not E164.match(d[k]):
                            errs.append(f"{fn}:{i}: {k} not E.164 {d[k]}")
                if fn == "locations.csv" and not (float(d["accuracy_m"]) > 0):
                    errs.append(f"{fn}:{i}: accuracy")
                if fn == "sightings.csv" and not (0 <= float(d["confidence"]) <= 1):
                    errs.append(f"{fn}:{i}: confidence")
    if len(srcs) == 0:
        errs.append("no sources")
    rids = set()
    for i, l in enumerate(open(os.path.join(cd, "reports.jsonl"), encoding="utf-8"), 1):
        o = json.loads(l)
        if o["report_id"] in rids:
            errs.append(f"reports:{i}: dup id")
        rids.add(o["report_id"])
        if o["source_id"] not in srcs:
            errs.append(f"reports:{i}: unknown source")
        tcheck(o["reported"], f"reports:{i}", errs)
        if o["credibility"] not in range(1, 7):
            errs.append(f"reports:{i}: credibility")
        for c in o.get("claims", []):
            if c["predicate"] not in ("partner_of", "family_of", "associate_of", "works_for", "uses", "located_near", "visits", "meets"):
                errs.append(f"reports:{i}: predicate")
            for k in ("valid_from", "valid_to"):
                if k in c:
                    tcheck(c[k], f"reports:{i}:{k}", errs)
            if c["predicate"] in ("located_near", "visits") and not (-90 <= c["lat"] <= 90):
                errs.append(f"reports:{i}: lat")
    eids = set()
    for i, l in enumerate(open(os.path.join(cd, "entities.jsonl"), encoding="utf-8"), 1):
        o = json.loads(l)
        if set(o) != {"id", "schema", "properties"}:
            errs.append(f"entities:{i}: keys")
        if o["id"] in eids:
            errs.append(f"entities:{i}: dup id")
        eids.add(o["id"])
    if target not in eids:
        errs.append("target not in entities")
    return errs


def main():
    root = sys.argv[1]
    dirs = [root] if os.path.exists(os.path.join(root, "case.toml")) else [os.path.join(root, d) for d in sorted(os.listdir(root))]
    bad = 0
    for d in dirs:
        e = validate(d)
        if e:
            bad += 1
            print(d, len(e), "errors;", e[:5])
    print(f"validated {len(dirs)} cases, {bad} with errors")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
