#!/usr/bin/env python3
"""Format checks against case-format.md. Usage: validate.py OUT_ROOT"""
import csv, json, os, re, sys

TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:\d\d)$")
E164 = re.compile(r"^\+\d{8,15}$")
HEAD = {
    "sources.csv": ["source_id", "agency", "discipline", "method", "reliability", "releasable_to"],
    "comms.csv": ["event_id", "source_id", "start", "duration_s", "channel", "caller", "callee", "caller_lat",
                  "caller_lon", "callee_lat", "callee_lon", "content"],
    "locations.csv": ["event_id", "source_id", "observed", "identifier", "lat", "lon", "accuracy_m"],
    "sightings.csv": ["event_id", "source_id", "observed", "lat", "lon", "subject", "confidence", "note"],
}
PRED = {"partner_of", "family_of", "associate_of", "works_for", "uses", "located_near", "visits", "meets"}
PREFIX = ("imei:", "imsi:", "plate:", "alias:", "email:", "handle:", "+")


def check(case):
    errs = []
    toml = open(os.path.join(case, "case.toml")).read()
    for k in ("id", "title", "owner_agency", "legal_authority", "timezone"):
        if not re.search(r"^%s\s*=\s*\"[^\"]+\"" % k, toml, re.M):
            errs.append("case.toml missing " + k)
    cid = re.search(r'^id\s*=\s*"([^"]+)"', toml, re.M).group(1)
    if not re.match(r"^[a-z0-9-]+$", cid):
        errs.append("bad case id")
    target = re.search(r'entity_id\s*=\s*"([^"]+)"', toml).group(1)
    ents = [json.loads(l) for l in open(os.path.join(case, "entities.jsonl")) if l.strip()]
    eids = {e["id"] for e in ents}
    if len(eids) != len(ents):
        errs.append("duplicate entity ids")
    if target not in eids:
        errs.append("target not in entities")
    for e in ents:
        if set(e) != {"id", "schema", "properties"} or not all(isinstance(v, list) for v in e["properties"].values()):
            errs.append("bad entity " + e["id"])
    srcs = set()
    for name, head in HEAD.items():
        p = os.path.join(case, name)
        with open(p, encoding="utf-8") as f:
            rows = list(csv.reader(f))
        if rows[0] != head:
            errs.append("%s header %s" % (name, rows[0]))
        ids = set()
        for i, r in enumerate(rows[1:], 2):
            if len(r) != len(head):
                errs.append("%s:%d ncols" % (name, i))
                continue
            d = dict(zip(head, r))
            if name == "sources.csv":
                srcs.add(d["source_id"])
                if d["reliability"] not in "ABCDEF" or d["discipline"] not in ("SIGINT", "GEOINT", "IMINT", "HUMINT", "OSINT"):
                    errs.append("%s:%d grade/discipline" % (name, i))
                continue
            if d["event_id"] in ids:
                errs.append("%s:%d dup id" % (name, i))
            ids.add(d["event_id"])
            if d["source_id"] not in srcs:
                errs.append("%s:%d unknown source" % (name, i))
            tcol = {"comms.csv": "start"}.get(name, "observed")
            if not TIME.match(d[tcol]):
                errs.append("%s:%d time %s" % (name, i, d[tcol]))
            for a, b in (("lat", "lon"), ("caller_lat", "caller_lon"), ("callee_lat", "callee_lon")):
                if a in d and d[a] != "":
                    la, lo = float(d[a]), float(d[b])
                    if not (-90 <= la <= 90 and -180 <= lo <= 180):
                        errs.append("%s:%d coord" % (name, i))
                elif a in d and d[b] != "":
                    errs.append("%s:%d half coord" % (name, i))
            if name == "comms.csv":
                if not (E164.match(d["caller"]) and E164.match(d["callee"])):
                    errs.append("%s:%d phone" % (name, i))
                if d["channel"] not in ("call", "sms", "message") or int(d["duration_s"]) < 0:
                    errs.append("%s:%d channel/dur" % (name, i))
            if name == "locations.csv":
                if float(d["accuracy_m"]) <= 0 or not d["identifier"].startswith(PREFIX):
                    errs.append("%s:%d acc/ident" % (name, i))
            if name == "sightings.csv":
                if not (0 <= float(d["confidence"]) <= 1):
                    errs.append("%s:%d conf" % (name, i))
                if not (d["subject"].startswith(PREFIX) or d["subject"] in eids):
                    errs.append("%s:%d subject %s" % (name, i, d["subject"]))
    rids = set()
    for i, l in enumerate(open(os.path.join(case, "reports.jsonl"), encoding="utf-8"), 1):
        r = json.loads(l)
        if r["report_id"] in rids:
            errs.append("reports:%d dup" % i)
        rids.add(r["report_id"])
        if r["source_id"] not in srcs or not TIME.match(r["reported"]) or r["credibility"] not in range(1, 7):
            errs.append("reports:%d src/time/cred" % i)
        for c in r.get("claims", []):
            if c["predicate"] not in PRED:
                errs.append("reports:%d predicate" % i)
            for k in ("valid_from", "valid_to"):
                if k in c and not TIME.match(c[k]):
                    errs.append("reports:%d %s" % (i, k))
            if c["predicate"] == "located_near" and not all(k in c for k in ("lat", "lon", "radius_m")):
                errs.append("reports:%d located_near fields" % i)
            for k in ("subject", "object"):
                v = c.get(k)
                if v is not None and not (v.startswith(PREFIX) or v in eids):
                    errs.append("reports:%d %s %s not identifier/entity" % (i, k, v))
    return errs


if __name__ == "__main__":
    root = sys.argv[1]
    bad = 0
    for n in sorted(os.listdir(root)):
        c = os.path.join(root, n)
        if os.path.exists(os.path.join(c, "case.toml")):
            e = check(c)
            if e:
                bad += 1
                print(n, len(e), e[:5])
    print("validated; cases with errors:", bad)
