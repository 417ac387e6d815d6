#!/usr/bin/env python3
"""Clean-room agent-based case generator (Sierra de Sinaloa/Durango + Culiacan).

Usage:
  gen.py --out DIR --seed N --difficulty easy|normal|hard       (single case)
  gen.py --batch OUT_ROOT --seeds 0-9 --difficulties easy,normal,hard
"""
import argparse, bisect, hashlib, json, math, os, sys, time
from datetime import datetime, timedelta, timezone
import numpy as np

LOCAL = timezone(timedelta(hours=-7))          # America/Mazatlan, no DST
KM_LAT = 111.2
KM_LON = 111.2 * math.cos(math.radians(25.0))
CITY = (24.805, -107.394)
SIERRA_BOX = (24.95, 25.75, -107.60, -106.60)
TOWNS = [("Badiraguato", 25.363, -107.549), ("Surutato", 25.71, -107.56),
         ("Santiago de los Caballeros", 25.58, -107.36), ("Tamazula", 24.968, -106.966),
         ("Topia", 25.21, -106.64), ("Canelas", 25.12, -106.66), ("Tepuche", 24.98, -107.25),
         ("Huixiopa", 25.45, -107.25), ("San Jose del Llano", 25.30, -107.05)]
NEAR_CITY = [("Navolato", 24.765, -107.700), ("Imala", 24.860, -107.220),
             ("Costa Rica", 24.590, -107.390), ("Sanalona", 24.812, -107.150)]
VCLASSES = [("pickup", "white", ["Hilux", "Tacoma", "Ram"]), ("pickup", "black", ["Lobo", "Ram", "Cheyenne"]),
            ("pickup", "grey", ["Tacoma", "Frontier"]), ("SUV", "black", ["Tahoe", "Suburban"]),
            ("SUV", "white", ["RAV4", "CR-V"]), ("sedan", "silver", ["Versa", "Jetta"]),
            ("hatchback", "red", ["Spark", "March"]), ("sedan", "white", ["Aveo", "Versa"]),
            ("pickup", "red", ["Ram", "Lobo"])]
F_NAMES = ["Jesus", "Jose", "Ramon", "Aureliano", "Ismael", "Joaquin", "Fausto", "Heriberto", "Dionisio",
           "Eleazar", "Rigoberto", "Ovidio", "Baltazar", "Cipriano", "Teodoro", "Arturo", "Efrain", "Lauro"]
L_NAMES = ["Quintero", "Gastelum", "Beltran", "Felix", "Zazueta", "Guzman", "Caro", "Araujo", "Salazar",
           "Leyva", "Payan", "Lopez", "Avila", "Elenes", "Bojorquez", "Meza", "Inzunza", "Rocha"]
T_ALIASES = ["El Compa", "El Tio", "El Viejo", "El Senor", "El 300", "El Gallo", "El Guero Mayo", "El Doctor",
             "El Ingeniero", "El Flaco"]
P_ALIASES = ["La Guera", "La Flaca", "La Chaparra", "La Morena", "La Nena", "La Reina", "La Muneca",
             "La Prieta", "La Chula", "La Guerita"]
RANCH_NAMES = ["El Pino", "Las Trancas", "La Cienega", "El Aguaje", "Los Otates", "La Mesa", "El Durazno",
               "Agua Blanca", "El Carrizo", "La Joya", "Los Alisos", "El Manzano", "La Tuna", "Arroyo Seco"]


def fmt_local(start, t):
    return (start + timedelta(minutes=float(t))).replace(microsecond=0).isoformat()


def fmt_z(start, t):
    return (start + timedelta(minutes=float(t))).astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def km(a_lat, a_lon, b_lat, b_lon):
    return np.hypot((np.asarray(a_lat) - b_lat) * KM_LAT, (np.asarray(a_lon) - b_lon) * KM_LON)


def offset(lat, lon, dkm, ang):
    return lat + dkm * math.sin(ang) / KM_LAT, lon + dkm * math.cos(ang) / KM_LON


class Place:
    def __init__(self, pid, lat, lon, kind, name, node, city=False):
        self.id, self.lat, self.lon, self.kind, self.name, self.node, self.city = pid, lat, lon, kind, name, node, city


class World:
    """Roads, cell sites, coverage holes."""

    def __init__(self, rng):
        self.rng = rng
        nodes = [("Culiacan", CITY[0], CITY[1])] + list(NEAR_CITY) + list(TOWNS)
        la0, la1, lo0, lo1 = SIERRA_BOX
        self.villages = []
        for i in range(int(rng.integers(18, 30))):
            lat, lon = rng.uniform(la0, la1), rng.uniform(lo0, lo1)
            nm = "Ranchería " + RANCH_NAMES[i % len(RANCH_NAMES)] + ("" if i < len(RANCH_NAMES) else " II")
            nodes.append((nm, lat, lon))
            self.villages.append(len(nodes) - 1)
        self.towns = list(range(len(NEAR_CITY) + 1, len(NEAR_CITY) + 1 + len(TOWNS)))
        self.nodes = nodes
        n = len(nodes)
        P = np.array([[a[1], a[2]] for a in nodes])
        D = km(P[:, None, 0], P[:, None, 1], P[None, :, 0], P[None, :, 1])
        adj = np.full((n, n), np.inf)
        for i in range(n):
            for j in np.argsort(D[i])[1:4]:
                adj[i, j] = adj[j, i] = D[i, j] * rng.uniform(1.15, 1.5)
        # connectivity via union find
        par = list(range(n))

        def f(x):
            while par[x] != x:
                par[x] = par[par[x]]
                x = par[x]
            return x
        for i in range(n):
            for j in range(n):
                if np.isfinite(adj[i, j]):
                    par[f(i)] = f(j)
        while len({f(i) for i in range(n)}) > 1:
            best = None
            for i in range(n):
                for j in range(n):
                    if f(i) != f(j) and (best is None or D[i, j] < best[0]):
                        best = (D[i, j], i, j)
            _, i, j = best
            adj[i, j] = adj[j, i] = D[i, j] * 1.3
            par[f(i)] = f(j)
        dist = adj.copy()
        np.fill_diagonal(dist, 0)
        nxt = np.where(np.isfinite(adj), np.arange(n)[None, :], -1)
        np.fill_diagonal(nxt, np.arange(n))
        for k in range(n):
            alt = dist[:, k:k + 1] + dist[k:k + 1, :]
            better = alt < dist
            dist = np.where(better, alt, dist)
            nxt = np.where(better, nxt[:, k:k + 1].repeat(n, 1), nxt)
        self.nxt = nxt
        self.bends = {}
        for i in range(n):
            for j in range(n):
                if i < j and np.isfinite(adj[i, j]):
                    a, b = P[i], P[j]
                    pts = []
                    for fr in (0.33, 0.67):
                        dl = rng.uniform(-0.18, 0.18)
                        vx, vy = (b[1] - a[1]), (b[0] - a[0])
                        pts.append((a[0] + fr * vy + dl * vx * KM_LON / KM_LAT, a[1] + fr * vx - dl * vy * KM_LAT / KM_LON))
                    self.bends[(i, j)] = pts
        self.P = P
        # cell sites
        sites = []
        for la in np.arange(CITY[0] - 0.07, CITY[0] + 0.07, 0.012):
            for lo in np.arange(CITY[1] - 0.08, CITY[1] + 0.08, 0.013):
                sites.append((la + rng.normal(0, 0.002), lo + rng.normal(0, 0.002), rng.uniform(2.2, 3.2)))
        for nm, la, lo in NEAR_CITY:
            sites.append((la, lo, rng.uniform(6, 10)))
        for k in self.towns:
            sites.append((P[k, 0] + rng.normal(0, 0.01), P[k, 1] + rng.normal(0, 0.01), rng.uniform(14, 26)))
        for k in self.villages:
            if rng.random() < 0.45:
                sites.append((P[k, 0] + rng.normal(0, 0.01), P[k, 1] + rng.normal(0, 0.01), rng.uniform(6, 16)))
        # corridor sites along the road out of town
        for _ in range(6):
            sites.append((rng.uniform(24.85, 25.05), rng.uniform(-107.45, -107.15), rng.uniform(10, 18)))
        self.sites = np.array(sites)
        holes = []
        while len(holes) < int(rng.integers(18, 32)):
            la, lo = rng.uniform(la0, la1), rng.uniform(lo0, lo1)
            if km(self.sites[:, 0], self.sites[:, 1], la, lo).min() > 2.0:
                holes.append((la, lo, rng.uniform(1.0, 5.0)))
        self.holes = np.array(holes)
        self.p_near = rng.uniform(0.5, 0.7)
        self.route_cache = {}

    def cov_p(self, lat, lon):
        if lat is None:
            return 1.0
        if (km(self.holes[:, 0], self.holes[:, 1], lat, lon) < self.holes[:, 2]).any():
            return 0.0
        r = (km(self.sites[:, 0], self.sites[:, 1], lat, lon) / self.sites[:, 2]).min()
        return 0.97 if r < 0.6 else (0.45 if r < 1.0 else 0.0)

    def cov_class(self, lat, lon):
        p = self.cov_p(lat, lon)
        return "good" if p > 0.9 else ("marginal" if p > 0.2 else "none")

    def serving(self, lat, lon):
        d = km(self.sites[:, 0], self.sites[:, 1], lat, lon)
        ok = np.where(d < self.sites[:, 2] * 1.05)[0]
        if len(ok) == 0:
            return None
        ok = ok[np.argsort(d[ok])]
        if len(ok) == 1 or self.rng.random() < self.p_near:
            s = ok[0]
        else:
            s = ok[self.rng.integers(1, min(4, len(ok)))]
        return float(self.sites[s, 0]), float(self.sites[s, 1])

    def node_path(self, i, j):
        path = [i]
        while path[-1] != j:
            path.append(int(self.nxt[path[-1], j]))
            if len(path) > 200:
                break
        return path

    def route(self, a, b):
        key = (a.id, b.id)
        if key in self.route_cache:
            return self.route_cache[key]
        pts = [(a.lat, a.lon)]
        if a.node == b.node:
            pts.append((a.lat, b.lon))
        else:
            pts.append((a.lat, self.P[a.node, 1]))
            path = self.node_path(a.node, b.node)
            for u, v in zip(path[:-1], path[1:]):
                pts.append(tuple(self.P[u]))
                bs = self.bends.get((min(u, v), max(u, v)), [])
                pts.extend(bs if u < v else bs[::-1])
            pts.append(tuple(self.P[b.node]))
            pts.append((b.lat, self.P[b.node, 1]))
        pts.append((b.lat, b.lon))
        pts = np.array(pts)
        seg = km(pts[:-1, 0], pts[:-1, 1], pts[1:, 0], pts[1:, 1])
        cum = np.concatenate([[0], np.cumsum(seg)])
        self.route_cache[key] = (pts, cum)
        return pts, cum


class Timeline:
    def __init__(self, world, place, t=0.0):
        self.w, self.place, self.t, self.segs = world, place, t, []

    def go(self, place, depart):
        depart = max(depart, self.t)
        if depart > self.t:
            self.segs.append((self.t, depart, "S", self.place))
        self.t = depart
        if place is self.place:
            return depart
        pts, cum = self.w.route(self.place, place)
        speed = 24.0 if (self.place.city and place.city) else 42.0
        dur = max(3.0, cum[-1] / speed * 60)
        self.segs.append((depart, depart + dur, "M", (pts, cum)))
        self.t, self.place = depart + dur, place
        return self.t

    def finish(self, T):
        if T > self.t:
            self.segs.append((self.t, T + 1, "S", self.place))
        self.t0s = [s[0] for s in self.segs]

    def seg(self, t):
        i = max(0, bisect.bisect_right(self.t0s, t) - 1)
        return self.segs[i]

    def pos(self, t):
        s = self.seg(t)
        if s[2] == "S":
            return s[3].lat, s[3].lon
        pts, cum = s[3]
        f = (t - s[0]) / (s[1] - s[0]) * cum[-1]
        k = min(len(cum) - 2, max(0, bisect.bisect_right(list(cum), f) - 1))
        u = 0 if cum[k + 1] == cum[k] else (f - cum[k]) / (cum[k + 1] - cum[k])
        u = min(max(u, 0), 1)
        return pts[k, 0] + u * (pts[k + 1, 0] - pts[k, 0]), pts[k, 1] + u * (pts[k + 1, 1] - pts[k, 1])

    def place_at(self, t):
        s = self.seg(t)
        return s[3] if s[2] == "S" else None


class Person:
    def __init__(self, pid, kind):
        self.id, self.kind = pid, kind
        self.phones = []          # [number, t0, t1, weight]
        self.off, self.left, self.out = [], [], []
        self.rate, self.contacts = 1.0, {}
        self.tl = None
        self.home = self.work = None
        self.external = False
        self.trips = None

    def pos(self, t):
        if self.external:
            return None
        if self.tl is not None:
            return self.tl.pos(t)
        h = (t % 1440) / 60.0
        wd = self.wd0 + int(t // 1440)
        trip = self.trips.get(int(t // 1440)) if self.trips else None
        if trip is not None and 10 <= h < 20:
            return trip
        if self.work is not None and wd % 7 < 5 and self.ws <= h < self.we:
            return self.work
        return self.home

    def number(self, t, rng):
        act = [p for p in self.phones if p[1] <= t < p[2]]
        if not act:
            return None
        if len(act) == 1:
            return act[0][0]
        w = np.array([p[3] for p in act])
        return act[rng.choice(len(act), p=w / w.sum())][0]

    def phone_state(self, t):
        for a, b in self.out:
            if a <= t < b:
                return "out", None
        for a, b in self.off:
            if a <= t < b:
                return "off", None
        for a, b, pl in self.left:
            if a <= t < b:
                return "left", pl
        return "on", None


def draw_traits(rng, diff):
    P = {"easy": 0, "normal": 1, "hard": 2}[diff]
    T = {}
    T["hideout_coverage"] = rng.choice(["good", "marginal", "none"], p=[[.6, .3, .1], [.45, .35, .2], [.3, .45, .25]][P])
    T["partner_discipline"] = rng.choice(["always_on", "off_en_route", "left_at_home_some"],
                                         p=[[.6, .3, .1], [.3, .45, .25], [.15, .45, .4]][P])
    T["late_move"] = bool(rng.random() < [.25, .45, .7][P])
    T["late_move_days"] = int(rng.integers(1, 9))
    T["late_move_visits"] = int(rng.choice([0, 1, 2], p=[[.1, .3, .6], [.2, .4, .4], [.2, .45, .35]][P]))
    T["n_decoys"] = int(rng.integers([0, 1, 2][P], [2, 3, 4][P]))
    T["lt_decoy_rate"] = float(rng.uniform(0.1, [0.3, 0.5, 0.7][P]))
    T["planted_reports"] = int(rng.integers(1, 4)) if rng.random() < [.2, .5, .8][P] else 0
    T["stale_reports"] = int(rng.integers(1, 3)) if rng.random() < [.3, .6, .8][P] else 0
    T["partner_number_known"] = bool(rng.random() < [.8, .5, .25][P])
    T["weak_target_sightings"] = bool(rng.random() < [.3, .5, .7][P])
    T["partner_burner_switch"] = bool(rng.random() < [0.0, .15, .35][P])
    T["rented_share"] = float(rng.uniform(*[(0, .12), (.05, .3), (.15, .4)][P]))
    T["rhythm"] = str(rng.choice(["regular", "bursts", "weekend_heavy"]))
    T["seed_role"] = str(rng.choice(["cousin", "hairdresser", "driver"]))
    T["hideout_kind"] = str(rng.choice(["ranch", "village_house", "city_house"], p=[.6, .3, .1]))
    T["friend_night_share"] = float(rng.uniform(0, [0.06, 0.1, 0.12][P]))
    return T


def mxnum(rng, used, area=None):
    while True:
        if area is None:
            area = rng.choice(["667", "667", "667", "667", "672", "673", "694", "696", "618", "674"])
        n = "+52" + area + "".join(str(d) for d in rng.integers(0, 10, 10 - len(area)))
        if n not in used:
            used.add(n)
            return n


def plate(rng):
    L = "ABCDEFGHJKLMNPRSTUVWXYZ"
    return "%s%s%s-%03d-%s" % (L[rng.integers(23)], L[rng.integers(23)], L[rng.integers(23)], rng.integers(1000),
                              L[rng.integers(23)])


def misread(rng, p):
    s = list(p)
    idx = [i for i, c in enumerate(s) if c != "-"]
    i = idx[rng.integers(len(idx))]
    s[i] = str(rng.integers(10)) if s[i].isdigit() else "ABCDEFGHJKLMNPRSTUVWXYZ"[rng.integers(23)]
    return "".join(s)


def hexid(rng, n=6):
    return "".join("0123456789abcdef"[i] for i in rng.integers(0, 16, n))


def generate(seed, diff, out):
    t_start = time.time()
    h = int(hashlib.sha256(("cr2|%s|%d" % (diff, seed)).encode()).hexdigest()[:12], 16)
    rng = np.random.default_rng(h)
    T = draw_traits(rng, diff)
    W = World(rng)
    ndays = int(rng.integers(20, 46))
    TEND = ndays * 1440.0
    start = datetime(2026, 1, 1, tzinfo=LOCAL) + timedelta(days=int(rng.integers(0, 300)))
    wd0 = start.weekday()
    used_ids, used_nums = set(), set()

    def eid(prefix):
        while True:
            x = prefix + hexid(rng, 8)
            if x not in used_ids:
                used_ids.add(x)
                return x

    # ---------------- places ----------------
    places = []

    def mkplace(kind, lat, lon, name, node, city=False):
        p = Place("pl%d" % len(places), lat, lon, kind, name, node, city)
        places.append(p)
        return p

    def city_place(kind, name=None):
        if name is None:
            name = "Calle %s %d, Col. %s" % (rng.choice(["Rio Tamazula", "Juarez", "Obregon", "Zapata", "Morelos", "Hidalgo"]),
                                             rng.integers(10, 2000), rng.choice(["Las Quintas", "Tierra Blanca", "Guadalupe", "Chapultepec", "Humaya", "Centro"]))
        lat = CITY[0] + rng.normal(0, 0.022)
        lon = CITY[1] + rng.normal(0, 0.026)
        return mkplace(kind, lat, lon, name, 0, True)

    def ranch_place(kind):
        v = int(rng.choice(W.villages + W.towns))
        lat, lon = offset(W.P[v, 0], W.P[v, 1], rng.uniform(1.0, 7.0), rng.uniform(0, 2 * math.pi))
        nm = "Rancho " + RANCH_NAMES[rng.integers(len(RANCH_NAMES))] + ", cerca de " + W.nodes[v][0]
        return mkplace(kind, lat, lon, nm, v)

    def village_place(kind):
        v = int(rng.choice(W.villages + W.towns))
        lat, lon = offset(W.P[v, 0], W.P[v, 1], rng.uniform(0.1, 0.7), rng.uniform(0, 2 * math.pi))
        return mkplace(kind, lat, lon, "Casa en " + W.nodes[v][0], v)

    def town_near_city_place(kind):
        k = int(rng.integers(1, len(NEAR_CITY) + 1))
        lat, lon = offset(W.P[k, 0], W.P[k, 1], rng.uniform(0.1, 1.2), rng.uniform(0, 2 * math.pi))
        return mkplace(kind, lat, lon, "Casa en " + W.nodes[k][0], k)

    def hideout_candidate(kind, want_cov=None, far_from=()):
        for attempt in range(400):
            if kind == "ranch":
                p = ranch_place("hideout")
            elif kind == "village_house":
                p = village_place("hideout")
            else:
                p = city_place("hideout")
            if any(km(p.lat, p.lon, q.lat, q.lon) < 3.0 for q in far_from):
                places.pop()
                continue
            if want_cov is None or kind == "city_house" or W.cov_class(p.lat, p.lon) == want_cov or attempt > 380:
                return p
            places.pop()
        return p

    H1 = hideout_candidate(T["hideout_kind"], T["hideout_coverage"])
    T["hideout_coverage_actual"] = W.cov_class(H1.lat, H1.lon)
    H0 = hideout_candidate(str(rng.choice(["ranch", "village_house"])), None, [H1])    # last month's hideout
    if T["late_move"]:
        fk = str(rng.choice(["ranch", "village_house", "city_house"], p=[.55, .3, .15]))
        HF = hideout_candidate(fk, None, [H1, H0])
        move_day = ndays - T["late_move_days"]
        t_move = move_day * 1440 + rng.uniform(9, 17) * 60
    else:
        HF, move_day, t_move = H1, ndays + 1, TEND + 1
    decoys = []
    for i in range(T["n_decoys"]):
        kd = str(rng.choice(["ranch", "village_house", "city_house"], p=[.5, .3, .2]))
        decoys.append(hideout_candidate(kd, None, [H1, H0, HF] + decoys))
        decoys[-1].kind = "decoy"
    innocents = [hideout_candidate(str(rng.choice(["ranch", "village_house"])), None, [H1, HF]) for _ in
                 range(int(rng.integers(3, 7)))]
    for p in innocents:
        p.kind = "innocent"
    rented = town_near_city_place("rented") if rng.random() < 0.5 else city_place("rented")
    p_home = city_place("partner_home")
    p_work = city_place("partner_work")
    p_mother = city_place("partner_mother")
    p_evening = [city_place("evening") for _ in range(3)]
    bar = village_place("bar") if rng.random() < 0.6 else town_near_city_place("bar")
    workshop = city_place("workshop") if rng.random() < 0.5 else village_place("workshop")

    # ---------------- people ----------------
    persons = []

    def mkperson(kind):
        p = Person("ent-" + hexid(rng), kind)
        p.wd0 = wd0
        persons.append(p)
        return p

    target = mkperson("target")
    partner = mkperson("partner")
    lead = mkperson("seed_lead")
    nlt = int(rng.integers(3, 9))
    lts = [mkperson("lieutenant") for _ in range(nlt)]
    ncour = int(rng.integers(1, 4))
    couriers = [mkperson("courier") for _ in range(ncour)]
    org = [partner, lead] + lts + couriers
    for p in lts + couriers:
        p.home = (village_place("lt_home") if rng.random() < 0.6 else city_place("lt_home"))
    lead.home = city_place("lead_home")
    lead.workp = p_work if T["seed_role"] == "hairdresser" and rng.random() < 0.3 else city_place("lead_work")
    lt_decoy = {p.id: (decoys[rng.integers(len(decoys))] if decoys else None) for p in lts}

    def hideout_at(t):
        return H1 if t < t_move else HF

    # ---------------- partner visit calendar ----------------
    visit = [False] * ndays
    if T["rhythm"] == "regular":
        N = int(rng.integers(2, 6))
        d = int(rng.integers(0, N))
        while d < ndays:
            visit[d] = True
            d += max(1, N + int(rng.integers(-1, 2)))
    elif T["rhythm"] == "bursts":
        d = int(rng.integers(0, 5))
        while d < ndays:
            L = int(rng.integers(2, 5))
            for k in range(d, min(ndays, d + L)):
                visit[k] = True
            d += L + int(rng.integers(4, 10))
    else:
        for d in range(ndays):
            visit[d] = rng.random() < (0.75 if (wd0 + d) % 7 in (4, 5) else 0.08)
    night = []
    after_visits = 0
    for d in range(ndays - 1):
        if visit[d]:
            if d * 1440 + 20 * 60 >= t_move:
                if after_visits >= T["late_move_visits"]:
                    night.append("home")
                    continue
                after_visits += 1
                night.append("hideout")
            else:
                night.append("rented" if rng.random() < T["rented_share"] else "hideout")
        else:
            night.append("friend" if rng.random() < T["friend_night_share"] else "home")
    night.append("home")
    # the story must stay readable: at least 3 hideout nights before the move
    pre = [d for d in range(ndays - 1) if d * 1440 + 1200 < t_move]
    while sum(night[d] == "hideout" for d in pre) < 3 and pre:
        cands = [d for d in pre if night[d] != "hideout"]
        if not cands:
            break
        night[cands[rng.integers(len(cands))]] = "hideout"
    # if the move brings few visits, force some afterwards when asked
    if T["late_move"] and after_visits < T["late_move_visits"]:
        cand = [d for d in range(ndays - 1) if d * 1440 + 20 * 60 >= t_move and night[d] == "home"]
        rng.shuffle(cand)
        for d in cand[:T["late_move_visits"] - after_visits]:
            night[d] = "hideout"
    T["late_move_visits_actual"] = sum(1 for d in range(ndays) if night[d] == "hideout" and d * 1440 + 1200 >= t_move) if T["late_move"] else None

    # ---------------- timelines ----------------
    tlP = Timeline(W, p_home)
    tlL = Timeline(W, lead.home)
    tlT = Timeline(W, H1)
    visits = []   # (day, place, t_depart, t_arrive, t_leave, t_back, driven)
    driver_share = rng.uniform(0.3, 0.8) if T["seed_role"] == "driver" else 0.0
    for d in range(ndays):
        d0 = d * 1440
        wd = (wd0 + d) % 7
        if wd < 6 and tlP.t < d0 + 14 * 60:
            tlP.go(p_work, d0 + rng.uniform(8.5, 10.5) * 60)
            if T["seed_role"] == "hairdresser" and rng.random() < 0.15:
                tlP.go(lead.workp, d0 + rng.uniform(13, 15) * 60)
            tlP.go(p_home, d0 + rng.uniform(16.5, 19.0) * 60)
        elif wd == 6 and tlP.t < d0 + 12 * 60:
            tlP.go(p_mother, d0 + rng.uniform(12, 14) * 60)
            tlP.go(p_home, d0 + rng.uniform(17, 19) * 60)
        kind = night[d]
        if kind in ("home", "friend") and rng.random() < 0.35:
            tlP.go(rng.choice(p_evening), d0 + rng.uniform(19, 20.5) * 60)
            tlP.go(p_home, d0 + rng.uniform(21, 23) * 60)
        if kind == "friend":
            tlP.go(p_mother, d0 + rng.uniform(21.5, 23.5) * 60)
            tlP.go(p_home, d0 + 1440 + rng.uniform(7, 9) * 60)
        elif kind in ("hideout", "rented"):
            dest = hideout_at(d0 + 1200) if kind == "hideout" else rented
            pts, cum = W.route(p_home, dest)
            dur = cum[-1] / (24.0 if dest.city else 42.0) * 60
            arr = d0 + rng.uniform(20.5, 23.5) * 60
            dep = max(arr - dur, tlP.t + 20, d0 + 13 * 60)
            driven = kind == "hideout" and rng.random() < driver_share
            if driven:
                tlL.go(p_home, dep - 25)
            tlP.go(p_home, tlP.t)
            a = tlP.go(dest, dep)
            lv = max(a + 180, d0 + 1440 + rng.uniform(5.0, 7.5) * 60)
            b = tlP.go(p_home, lv)
            if driven:
                tlL.go(dest, dep)
                tlL.go(p_home, lv)
                tlL.go(lead.home, b + 10)
            visits.append((d, dest, dep, a, lv, b, driven, kind))
        # seed lead's own day (if not busy)
        if tlL.t < d0 + 9 * 60:
            if wd < 6:
                tlL.go(lead.workp, d0 + rng.uniform(8, 10) * 60)
                if T["seed_role"] == "driver" and rng.random() < 0.5:
                    tlL.go(p_work, d0 + rng.uniform(16.4, 16.9) * 60)
                tlL.go(lead.home, d0 + rng.uniform(17, 19.5) * 60)
            elif T["seed_role"] == "cousin" and rng.random() < 0.7:
                tlL.go(p_mother, d0 + rng.uniform(12, 14) * 60)
                tlL.go(lead.home, d0 + rng.uniform(17, 19) * 60)
    tlP.finish(TEND)
    tlL.finish(TEND)
    partner.tl, lead.tl = tlP, tlL
    partner.home, lead.home_place = p_home, lead.home

    # target: stays at hideout; goes to rented house; meetings at decoys/bar; late move
    rented_nights = {v[0]: v for v in visits if v[7] == "rented"}
    meetings = []
    moved = False
    for d in range(ndays):
        d0 = d * 1440
        if not moved and d0 + 1440 > t_move:
            tlT.go(HF, t_move)
            moved = True
        if d in rented_nights:
            v = rented_nights[d]
            tlT.go(rented, v[3] + rng.uniform(-30, 40))
            tlT.go(hideout_at(v[4]), v[4] + rng.uniform(-40, 10))
        elif rng.random() < 0.22 and tlT.t < d0 + 10 * 60:
            mp = decoys[rng.integers(len(decoys))] if decoys and rng.random() < 0.6 else bar
            t0 = d0 + rng.uniform(11, 14) * 60
            a = tlT.go(mp, t0)
            tlT.go(hideout_at(a + 200), a + rng.uniform(60, 180))
            meetings.append((mp, a, tlT.segs[-1][0]))
    tlT.finish(TEND)
    target.tl = tlT

    for p in lts:
        tl = Timeline(W, p.home)
        dec = lt_decoy[p.id]
        for d in range(ndays):
            d0 = d * 1440
            if tl.t > d0 + 11 * 60:
                continue
            tl.go(rng.choice([bar, workshop, p.home]) if rng.random() < 0.6 else workshop, d0 + rng.uniform(8.5, 11) * 60)
            for mp, a, b in meetings:
                if d0 <= a < d0 + 1440 and rng.random() < 0.6:
                    tl.go(mp, a - rng.uniform(10, 40))
                    tl.go(rng.choice([bar, workshop]), b + rng.uniform(0, 30))
            if rng.random() < 0.4:
                tl.go(bar, d0 + rng.uniform(19.5, 21.5) * 60)
            sleep = dec if (dec is not None and rng.random() < T["lt_decoy_rate"]) else p.home
            tl.go(sleep, d0 + rng.uniform(22, 24.5) * 60)
        tl.finish(TEND)
        p.tl = tl
    courier_hideout_visits = []
    for p in couriers:
        tl = Timeline(W, p.home)
        phc = rng.uniform(0.15, 0.5)
        off_km = rng.uniform(3, 15) if rng.random() < 0.7 else 0.0
        p.off_km = off_km
        for d in range(ndays):
            d0 = d * 1440
            if tl.t > d0 + 10 * 60 or (wd0 + d) % 7 == 6:
                continue
            stops = []
            if T["late_move"] and p is couriers[0] and d == move_day:
                tl.go(H1, t_move - rng.uniform(60, 150))
                tl.go(HF, t_move)
                tl.go(p.home, tl.t + rng.uniform(30, 120))
                courier_hideout_visits.append((p, HF, t_move, "move"))
                continue
            if rng.random() < phc:
                stops.append(hideout_at(d0 + 12 * 60))
            pool = decoys + [bar, workshop] + [q.home for q in lts]
            for _ in range(int(rng.integers(1, 3))):
                stops.append(pool[rng.integers(len(pool))])
            rng.shuffle(stops)
            tt = d0 + rng.uniform(7.5, 10) * 60
            for s in stops:
                a = tl.go(s, tt)
                if s is hideout_at(a):
                    courier_hideout_visits.append((p, s, a))
                tt = a + rng.uniform(20, 90)
            tl.go(p.home, tt)
        tl.finish(TEND)
        p.tl = tl

    # ---------------- phone discipline ----------------
    def dist_series(tl, t0, t1, dest):
        ts = np.arange(t0, t1, 1.0)
        ds = np.array([km(*tl.pos(t), dest.lat, dest.lon) for t in ts]) if len(ts) else np.array([])
        return ts, ds

    forget = rng.uniform(*{"easy": (0.4, 0.65), "normal": (0.25, 0.45), "hard": (0.25, 0.45)}[diff])
    left_share = rng.uniform(0.3, 0.7)
    disc_log = []
    for (d, dest, dep, a, lv, b, driven, kind) in visits:
        if kind != "hideout" and rng.random() < 0.5:
            continue
        mode = T["partner_discipline"]
        if mode == "off_en_route" and rng.random() > forget:
            X1, X2 = rng.uniform(1, 25), rng.uniform(1, 25)
            ts, ds = dist_series(tlP, dep, a + 1, dest)
            k = np.where(ds < X1)[0]
            toff = ts[k[0]] if len(k) else a
            ts, ds = dist_series(tlP, lv, b + 1, dest)
            k = np.where(ds > X2)[0]
            ton = ts[k[0]] if len(k) else b
            partner.off.append((toff, ton))
            disc_log.append(("off", d))
            if driven and rng.random() < 0.5:
                lead.off.append((toff - rng.uniform(0, 20), ton + rng.uniform(0, 20)))
        elif mode == "left_at_home_some" and rng.random() < left_share:
            partner.left.append((dep - 5, b + 5, p_home))
            disc_log.append(("left", d))
    for p in couriers:
        if p.off_km > 0:
            for (c, s, a, *k) in courier_hideout_visits:
                if c is p and not k:
                    p.off.append((a - p.off_km / 42 * 60, a + 60 + p.off_km / 42 * 60))

    # ---------------- civilians & contacts ----------------
    nciv = int(rng.integers(140, 360))
    locs = [("city", 0.7), ("near", 0.12), ("sierra", 0.18)]
    civs = []
    for i in range(nciv):
        c = mkperson("civilian")
        r = rng.random()
        if r < 0.68:
            c.home = (CITY[0] + rng.normal(0, 0.025), CITY[1] + rng.normal(0, 0.03))
            c.work = (CITY[0] + rng.normal(0, 0.02), CITY[1] + rng.normal(0, 0.025)) if rng.random() < 0.7 else None
            c.loc = "city"
        elif r < 0.8:
            k = int(rng.integers(1, len(NEAR_CITY) + 1))
            c.home = offset(W.P[k, 0], W.P[k, 1], rng.uniform(0, 2), rng.uniform(0, 6.3))
            c.work = (CITY[0] + rng.normal(0, 0.02), CITY[1] + rng.normal(0, 0.025)) if rng.random() < 0.5 else None
            c.loc = "near%d" % k
        else:
            v = int(rng.choice(W.villages + W.towns))
            c.home = offset(W.P[v, 0], W.P[v, 1], rng.uniform(0, 3), rng.uniform(0, 6.3))
            c.work = offset(W.P[v, 0], W.P[v, 1], rng.uniform(0, 4), rng.uniform(0, 6.3)) if rng.random() < 0.5 else None
            c.loc = "v%d" % v
        c.ws, c.we = rng.uniform(7, 10), rng.uniform(15, 19)
        if rng.random() < 0.3:   # day trips (family, market, work) to another locality
            c.trips = {}
            for d in range(ndays):
                if rng.random() < 0.06:
                    k = int(rng.integers(0, len(W.nodes)))
                    c.trips[d] = offset(W.P[k, 0], W.P[k, 1], rng.uniform(0, 2), rng.uniform(0, 6.3))
        c.rate = float(np.exp(rng.normal(-0.4, 1.1)))  # lognormal calls/day, many low-activity phones
        area = None
        if rng.random() < 0.08:
            area = str(rng.choice(["55", "33", "81", "662"]))
        c.phones.append([mxnum(rng, used_nums, area), -1e9, 1e9, 1.0])
        if rng.random() < 0.06:
            c.phones.append([mxnum(rng, used_nums), -1e9, 1e9, 0.25])
        if rng.random() < 0.035 * ndays / 30:
            tc = rng.uniform(0.1, 0.9) * TEND
            c.phones[0][2] = tc
            c.phones.append([mxnum(rng, used_nums), tc + rng.uniform(0, 2000), 1e9, 1.0])
        if rng.random() < 0.12:   # prepaid churn: number activated or dropped inside the window
            if rng.random() < 0.5:
                c.phones[0][1] = rng.uniform(0.05, 0.8) * TEND
            else:
                c.phones[0][2] = min(c.phones[0][2], rng.uniform(0.2, 0.95) * TEND)
        if rng.random() < 0.12:
            t0 = rng.uniform(0, TEND)
            c.out.append((t0, t0 + rng.uniform(2, 8) * 1440))
        civs.append(c)
    exts = []
    for i in range(int(rng.integers(20, 50))):
        e = mkperson("external")
        e.external = True
        e.rate = float(np.exp(rng.normal(-1.0, 0.8)))
        e.phones.append([("+1" + "".join(str(x) for x in rng.integers(2, 10, 10))) if rng.random() < 0.3 else
                         mxnum(rng, used_nums, str(rng.choice(["55", "33", "81", "664"]))), -1e9, 1e9, 1.0])
        exts.append(e)

    def link(a, b, w):
        a.contacts[b.id] = a.contacts.get(b.id, 0) + w
        b.contacts[a.id] = b.contacts.get(a.id, 0) + w

    bygroup = {}
    for c in civs:
        bygroup.setdefault(c.loc, []).append(c)
    for c in civs:
        same = bygroup[c.loc]
        for _ in range(int(rng.integers(2, 12))):
            o = same[rng.integers(len(same))] if rng.random() < 0.75 else civs[rng.integers(len(civs))]
            if o is not c:
                link(c, o, float(rng.pareto(1.5) + 0.2))
        if rng.random() < 0.15:
            link(c, exts[rng.integers(len(exts))], float(rng.uniform(0.2, 1)))
    for e in exts:
        if not e.contacts:
            link(e, civs[rng.integers(len(civs))], 0.5)
    # organisation links
    for p in org:
        for _ in range(int(rng.integers(3, 11))):
            link(p, civs[rng.integers(len(civs))], float(rng.pareto(1.5) + 0.2))
    link(partner, lead, float(rng.uniform(3, 6)))
    for c in couriers:
        link(partner, c, float(rng.uniform(0.3, 1.0)))
        for l in lts:
            link(c, l, float(rng.uniform(0.5, 2.0)))
    for i, a in enumerate(lts):
        for b in lts[i + 1:]:
            if rng.random() < 0.6:
                link(a, b, float(rng.uniform(0.5, 2.0)))
    if rng.random() < 0.5:
        link(partner, lts[0], 0.3)
    partner.rate = float(np.exp(rng.normal(1.0, 0.4)))
    lead.rate = float(np.exp(rng.normal(0.9, 0.5)))
    for p in lts + couriers:
        p.rate = float(np.exp(rng.normal(0.5, 0.7)))
    # phones of org
    for p in org:
        p.phones.append([mxnum(rng, used_nums, "667" if rng.random() < 0.8 else None), -1e9, 1e9, 1.0])
    burner_day = int(rng.uniform(0.3, 0.75) * ndays)
    t_burn = burner_day * 1440 + rng.uniform(8, 12) * 60
    circle = lts + couriers + ([partner] if T["partner_burner_switch"] else [])
    old_new = []
    for p in circle:
        old = p.phones[0][0]
        tb = t_burn + rng.uniform(0, 240)
        p.phones[0][2] = tb
        new = mxnum(rng, used_nums, "667")
        p.phones.append([new, tb + rng.uniform(5, 180), 1e9, 1.0])
        old_new.append((p.id, old, new, tb))
        for cid in list(p.contacts):
            if rng.random() < 0.15:
                p.contacts[cid] *= 0.2
    if rng.random() < 0.3:
        p = lts[rng.integers(len(lts))]
        p.phones.append([mxnum(rng, used_nums), -1e9, 1e9, 0.3])   # second SIM of a lieutenant

    # ---------------- calls ----------------
    byid = {p.id: p for p in persons}
    hourw = np.array([.2, .1, .05, .03, .03, .08, .3, .7, 1, 1.1, 1.2, 1.2, 1.2, 1.2, 1.1, 1.1, 1.2, 1.3, 1.4,
                      1.4, 1.3, 1.1, .8, .45])
    hourw /= hourw.sum()
    phone_people = [p for p in persons if p.phones]
    leads = []   # (place named by a lead, time the lead arrived)
    calls = []   # (t, caller_person, callee_person, caller_num, callee_num, dur, channel, cpos, epos, content)
    visit_days = {v[0]: v for v in visits}

    def can_use(p, t):
        st, pl = p.phone_state(t)
        if st in ("out", "off"):
            return False, None
        pos = pl if st == "left" else p.pos(t)
        if st == "left":
            pos = (pl.lat, pl.lon)
        if pos is not None and rng.random() > W.cov_p(*pos):
            return False, None
        return st == "on", pos

    def add_call(p, q, t, force_dur=None, content=None, channel=None):
        okp, pp = can_use(p, t)
        if not okp:
            return
        okq, qp = can_use(q, t)
        if not okq:
            return
        a, b = p.number(t, rng), q.number(t, rng)
        if a is None or b is None:
            return
        if channel is None:
            channel = "sms" if rng.random() < 0.1 else "call"
        if channel != "call":
            dur = 0
        elif force_dur is not None:
            dur = force_dur
        else:
            dur = int(rng.integers(1, 10)) if rng.random() < 0.15 else int(np.exp(rng.normal(4.0, 1.0)) + 10)
        cp = W.serving(*pp) if pp is not None else None
        cq = W.serving(*qp) if qp is not None else None
        calls.append((t, p, q, a, b, dur, channel, cp, cq, content))

    for p in phone_people:
        ids = list(p.contacts)
        if not ids:
            continue
        w = np.array([p.contacts[i] for i in ids])
        w = w / w.sum()
        for d in range(ndays):
            wd = (wd0 + d) % 7
            n = rng.poisson(p.rate * (0.65 if wd == 6 else 1.0))
            for _ in range(n):
                t = d * 1440 + (rng.choice(24, p=hourw) + rng.random()) * 60
                q = byid[ids[rng.choice(len(ids), p=w)]]
                add_call(p, q, t)
    # arranging calls on visit days (partner <-> lead / courier) and innocuous ones on other days
    LEAD_TXT_V = ["¿Siempre vas a ir hoy?", "Ya voy saliendo, luego te marco.", "Hoy subo, no me esperes.",
                  "Mañana regreso temprano.", "Avísale a mi mamá que hoy no llego.", "Ya llegué, todo bien."]
    LEAD_TXT_N = ["¿Qué vas a hacer al rato?", "Pásame el número de la señora.", "¿Vienes el domingo?",
                  "Ahí te encargo lo de la cita.", "Ya llegué, todo bien.", "Mañana te veo en el salón."]
    for d in range(ndays):
        d0 = d * 1440
        v = visit_days.get(d)
        if v is not None:
            for _ in range(int(rng.integers(1, 4))):
                t = d0 + rng.uniform(13, 20) * 60
                q = lead if rng.random() < 0.6 else couriers[rng.integers(len(couriers))]
                txt = None
                if q is lead:
                    txt = LEAD_TXT_V[rng.integers(len(LEAD_TXT_V))]
                    if rng.random() < 0.12 and v[1].node:
                        txt += " Voy para " + W.nodes[v[1].node][0] + "."
                add_call(partner, q, t, content=txt) if rng.random() < 0.5 else add_call(q, partner, t, content=txt)
        else:
            if rng.random() < 0.5:
                t = d0 + rng.uniform(13, 21) * 60
                txt = LEAD_TXT_N[rng.integers(len(LEAD_TXT_N))]
                if rng.random() < 0.05:
                    dd = decoys[0] if decoys else innocents[0]
                    txt += " Dicen que andan por " + W.nodes[dd.node][0] + "."
                add_call(lead, partner, t, content=txt)
    if T["late_move"] and rng.random() < 0.6:
        for _ in range(3):
            t = rng.uniform(t_move, max(t_move + 60, TEND - 60))
            n0 = len(calls)
            add_call(partner, lead, t, content="Dice que ya se cambió, que ahora anda por %s." % (
                "Culiacán" if HF.city else W.nodes[HF.node][0]))
            if len(calls) > n0:
                leads.append((HF, t))
                break
    calls.sort(key=lambda c: (c[0], rng.random()))

    # ---------------- locations (tracked phones) ----------------
    loc_rows = []
    geo_src = "sg-" + hexid(rng, 4)
    tracked = [(partner, partner.phones), (lead, lead.phones)]
    for person, phs in tracked:
        for ph in phs:
            cad = rng.uniform(10, 60)
            acc_med = float(np.exp(rng.uniform(math.log(80), math.log(700))))
            t0 = max(0.0, ph[1]) + (rng.uniform(1, 3) * 1440 if ph[1] > 0 else 0)   # re-tasking delay
            t = t0 + rng.uniform(0, cad)
            while t < min(TEND, ph[2]):
                st, pl = person.phone_state(t)
                if st in ("on", "left"):
                    pos = (pl.lat, pl.lon) if st == "left" else person.pos(t)
                    if rng.random() < W.cov_p(*pos):
                        acc = float(np.clip(acc_med * np.exp(rng.normal(0, 0.5)) * (1.0 if pos[0] < 24.9 else 1.6), 50, 1500))
                        sg = acc / 1.51
                        la = pos[0] + rng.normal(0, sg) / 1000 / KM_LAT
                        lo = pos[1] + rng.normal(0, sg) / 1000 / KM_LON
                        loc_rows.append((t, ph[0], la, lo, acc))
                t += cad * rng.uniform(0.7, 1.3)
    loc_rows.sort(key=lambda r: (r[0], rng.random()))

    # ---------------- vehicles ----------------
    vehicles = []   # dict(plate, cls, model, owner(person)|None, place|None, p_present, window)

    def vcls():
        c = VCLASSES[rng.integers(len(VCLASSES))]
        return c, c[2][rng.integers(len(c[2]))]
    for p in [target, partner, lead] + lts + couriers:
        c, m = vcls()
        if p is target:
            c = VCLASSES[int(rng.choice([0, 1, 2, 3]))]
            m = c[2][0]
        vehicles.append(dict(plate=plate(rng), cls=c, model=m, owner=p, place=None, p=1.0, win=(0, TEND)))
    for pl, win in [(H1, (0, t_move)), (HF, (t_move, TEND))] + [(dd, (0, TEND)) for dd in decoys] + \
            [(ii, (0, TEND)) for ii in innocents] + [(H0, (0, TEND))]:
        for _ in range(int(rng.integers(1, 4)) if pl.kind == "innocent" else int(rng.integers(0, 3))):
            c, m = vcls()
            vehicles.append(dict(plate=plate(rng), cls=c, model=m, owner=None, place=pl,
                                 p=rng.uniform(0.5, 0.95) if pl.kind == "innocent" else rng.uniform(0.3, 0.9), win=win))
    driven_iv = [(v[2], v[5]) for v in visits if v[6]]

    def vehicles_at(pl, t):
        out = []
        for v in vehicles:
            if v["owner"] is None:
                if v["place"] is pl and v["win"][0] <= t < v["win"][1] and rng.random() < v["p"]:
                    out.append(v)
                continue
            o = v["owner"]
            if o is partner and any(a <= t < b for a, b in driven_iv):
                continue
            here = o.tl.place_at(t)
            if here is not None and km(here.lat, here.lon, pl.lat, pl.lon) < 0.25:
                out.append(v)
        return out

    # ---------------- sightings ----------------
    sig_rows = []   # (t, src, lat, lon, subject, conf, note)
    uav_src, ir_src, surv_src = "im-" + hexid(rng, 4), "im-" + hexid(rng, 4), "hu-" + hexid(rng, 4)
    cls_ids = {}

    def cls_id(c):
        k = "vehclass-%s-%s" % (c[1], c[0].lower())
        cls_ids[k] = c
        return k
    # surveillance of meetings (bar / workshop / decoys / meeting places)
    watch = [bar, workshop] + decoys
    for _ in range(int(rng.integers(3, 3 + ndays // 3))):
        pl = watch[rng.integers(len(watch))]
        t = rng.integers(0, ndays) * 1440 + rng.uniform(10, 22) * 60
        present = [p for p in [target] + lts + couriers if (lambda h: h is not None and km(h.lat, h.lon, pl.lat, pl.lon) < 0.2)(p.tl.place_at(t))]
        if not present:
            continue
        ids = [p.id for p in present]
        for p in present:
            conf = rng.uniform(0.15, 0.45) if p is target else rng.uniform(0.4, 0.9)
            others = [i for i in ids if i != p.id]
            note = "reunión; con " + ", ".join(others) if others else "visto en el lugar"
            sig_rows.append((t + rng.uniform(0, 10), surv_src, pl.lat + rng.normal(0, 30) / 1e3 / KM_LAT,
                             pl.lon + rng.normal(0, 30) / 1e3 / KM_LON, p.id, round(float(conf), 2), note))
    if T["weak_target_sightings"]:
        spots = [None] * 3 + list(decoys) + list(innocents[:2]) + [bar]
        for _ in range(int(rng.integers(3, 11))):
            s = spots[rng.integers(len(spots))]
            t = rng.integers(0, ndays) * 1440 + rng.uniform(7, 19) * 60
            pl = hideout_at(t) if s is None else s
            la, lo = offset(pl.lat, pl.lon, rng.uniform(0.2, 3.0), rng.uniform(0, 6.3))
            sig_rows.append((t, surv_src, la, lo, target.id, round(float(rng.uniform(0.1, 0.35)), 2),
                             "posible avistamiento, hombre parecido al objetivo"))
    sig_rows.sort(key=lambda r: (r[0], rng.random()))

    # ---------------- sources ----------------
    grades = list("ABCDEF")
    hum_srcs = []
    for i in range(int(rng.integers(4, 9))):
        hum_srcs.append(("hu-" + hexid(rng, 4), str(rng.choice(grades, p=[.12, .25, .25, .15, .08, .15]))))
    good_srcs = [s for s in hum_srcs if s[1] in "AB"] or [hum_srcs[0]]
    agency = "SEDENA-INT"
    cdr_src, li_src = "sg-" + hexid(rng, 4), "sg-" + hexid(rng, 4)
    sources = [(cdr_src, agency, "SIGINT", "carrier call detail records (court-ordered production)", "A", "FGR"),
               (li_src, agency, "SIGINT", "lawful intercept of one handset", "A", ""),
               (geo_src, "FGR", "GEOINT", "carrier handset geolocation", "B", "SEDENA-INT"),
               (uav_src, agency, "IMINT", "UAV EO daytime low-altitude passes", "B", "FGR;PARTNER-US"),
               (ir_src, "PARTNER-US", "IMINT", "wide-area night infrared", "C", "SEDENA-INT"),
               (surv_src, "FGR", "HUMINT", "physical surveillance team", "B", "SEDENA-INT")]
    for s, g in hum_srcs:
        sources.append((s, str(rng.choice([agency, "FGR"])), "HUMINT", "informant handled by field office", g,
                        str(rng.choice(["", "SEDENA-INT;FGR", "FGR"]))))

    # ---------------- reports ----------------
    tname = "%s %s %s" % (F_NAMES[rng.integers(len(F_NAMES))], L_NAMES[rng.integers(len(L_NAMES))], L_NAMES[rng.integers(len(L_NAMES))])
    talias = T_ALIASES[rng.integers(len(T_ALIASES))]
    palias = "alias:" + P_ALIASES[rng.integers(len(P_ALIASES))]
    lt_names = {p.id: "%s %s" % (F_NAMES[rng.integers(len(F_NAMES))], L_NAMES[rng.integers(len(L_NAMES))]) for p in lts + couriers}
    reports = []

    pending = []

    def visit_claim(pl):
        pending.append(pl)
        return [{"subject": palias, "predicate": "visits", "lat": round(pl.lat + rng.normal(0, .004), 5), "lon": round(pl.lon + rng.normal(0, .004), 5)}]

    def cred():
        return int(rng.choice([1, 2, 3, 4, 5, 6], p=[.08, .3, .3, .15, .05, .12]))

    gw = np.array([{"A": 3, "B": 3, "C": 2, "D": 1, "E": 1, "F": 1.5}[g_] for _, g_ in hum_srcs], float)

    def src_for_truth():   # better sources are somewhat more often right; any source can be wrong
        return hum_srcs[rng.choice(len(hum_srcs), p=gw / gw.sum())][0]

    def rep(text, claims, t=None, src=None, c=None):
        t = rng.uniform(0, TEND) if t is None else t
        for pl in pending:
            leads.append((pl, t))
        pending.clear()
        reports.append(dict(t=t, source_id=(src or hum_srcs[rng.integers(len(hum_srcs))][0]),
                            credibility=c or cred(), text=text, claims=claims))

    def loc_claim(subj, pl, t_valid):
        pending.append(pl)
        r = float(np.exp(rng.uniform(math.log(500), math.log(20000))))
        la, lo = offset(pl.lat, pl.lon, rng.uniform(0, 0.4) * r / 1000, rng.uniform(0, 6.3))
        cl = {"subject": subj, "predicate": "located_near", "lat": round(la, 5), "lon": round(lo, 5), "radius_m": int(r)}
        if rng.random() < 0.7:
            cl["valid_from"] = fmt_z(start, t_valid) if rng.random() < 0.5 else fmt_local(start, t_valid)
        return cl

    def where_name(pl):
        return W.nodes[pl.node][0] if not pl.city else "Culiacán"
    for _ in range(int(rng.integers(1, 3))):
        rep("La novia de %s, conocida como '%s', lo visita seguido." % (talias, palias[6:]),
            [{"subject": target.id, "predicate": "partner_of", "object": palias}])
    p_numbers = [ph[0] for ph in partner.phones]
    if T["partner_number_known"]:
        rep("'%s' trae el número %s." % (palias[6:], p_numbers[0][3:]),
            [{"subject": palias, "predicate": "uses", "object": p_numbers[0]}])
    # true located_near (current hideout at report time)
    for _ in range(int(rng.integers(1, 4))):
        t = rng.uniform(0, TEND)
        pl = hideout_at(t)
        rep("Dicen que %s anda por %s." % (talias, where_name(pl)), [loc_claim(target.id, pl, t - rng.uniform(0, 10) * 1440)], t=t,
            src=src_for_truth())
    if T["late_move"] and rng.random() < 0.65:
        t = rng.uniform(t_move, TEND)
        rep("Dicen que %s anda por %s." % (talias, where_name(HF)), [loc_claim(target.id, HF, t_move)], t=t, src=src_for_truth())
    for _ in range(T["stale_reports"]):
        t = rng.uniform(0, TEND)
        rep("Dicen que %s anda por %s." % (talias, where_name(H0)), [loc_claim(target.id, H0, -rng.uniform(20, 40) * 1440)], t=t)
    for _ in range(int(rng.integers(0, 3))):   # honest but wrong rumours
        pl = innocents[rng.integers(len(innocents))]
        t = rng.uniform(0, TEND)
        rep("Dicen que %s anda por %s." % (talias, where_name(pl)), [loc_claim(target.id, pl, t - rng.uniform(0, 10) * 1440)], t=t)
    for _ in range(T["planted_reports"]):
        pl = decoys[rng.integers(len(decoys))] if decoys else innocents[rng.integers(len(innocents))]
        s = good_srcs[rng.integers(len(good_srcs))][0]
        t = rng.uniform(0, TEND)
        if rng.random() < 0.6:
            rep("Dicen que %s anda por %s." % (talias, where_name(pl)), [loc_claim(target.id, pl, t - rng.uniform(0, 10) * 1440)], t=t,
                src=s, c=int(rng.choice([2, 3])))
        else:
            rep("'%s' sube a verlo a %s." % (palias[6:], where_name(pl)),
                visit_claim(pl), t=t, src=s, c=int(rng.choice([2, 3])))
    if rng.random() < 0.5:
        pl = hideout_at(rng.uniform(0, TEND)) if rng.random() < 0.6 else rented
        rep("'%s' sube a verlo a %s." % (palias[6:], where_name(pl)),
            visit_claim(pl))
    for mp, a, b in meetings[:int(rng.integers(0, 4))]:
        who = [p for p in lts if p.tl.place_at(a + 5) is mp]
        if who:
            rep("%s se reunió con %s." % (lt_names[who[0].id], talias),
                [{"subject": who[0].id, "predicate": "meets", "object": target.id}], t=b + rng.uniform(60, 4000))
    tv = vehicles[0]
    if rng.random() < 0.6:
        pv = tv if rng.random() < 0.7 else vehicles[3]
        rep("%s se mueve en una %s %s placas %s." % (talias, {"pickup": "camioneta", "SUV": "camioneta SUV", "sedan": "sedán", "hatchback": "carro"}[pv["cls"][0]],
                                                    {"white": "blanca", "black": "negra", "grey": "gris", "silver": "plateada", "red": "roja"}[pv["cls"][1]], pv["plate"]),
            [{"subject": target.id, "predicate": "uses", "object": "plate:" + pv["plate"]}])
    for p in lts[:int(rng.integers(1, 4))]:
        rep("%s es gente de %s; trae el %s." % (lt_names[p.id], talias, p.phones[0][0][3:]),
            [{"subject": p.id, "predicate": "works_for", "object": target.id},
             {"subject": p.id, "predicate": "uses", "object": p.phones[0][0]}])
    for _ in range(int(rng.integers(0, 3))):   # claim-free reports
        rep("Se escucha movimiento de camionetas por %s." % W.nodes[int(rng.choice(W.villages))][0], [])
    reports.sort(key=lambda r: (r["t"], rng.random()))

    # ---------------- imagery: candidate sites come from leads, tasked when the lead arrives ----------------
    p_true_cand = rng.uniform(0.35, 0.75)
    p_task = rng.uniform(0.5, 0.9)
    cand = [(pl, 0.0) for pl in list(decoys) + list(innocents) + [H0]]   # area search / known addresses
    true_in = []
    if rng.random() < p_true_cand:
        cand.append((H1, 0.0))
        true_in.append(H1.id)
    for pl, t in leads:
        if rng.random() < p_task:
            cand.append((pl, max(0.0, t) + rng.uniform(0.2, 1.5) * 1440))
            if pl in (H1, HF):
                true_in.append(pl.id)
    seen = {}
    for pl, e in cand:          # a site is tasked once, from its earliest lead
        if pl.id not in seen or e < seen[pl.id][1]:
            seen[pl.id] = (pl, e)
    lam = rng.uniform(2, 6)
    p_day = rng.uniform(0.3, 0.7)
    burst = rng.uniform(1.0, 3.0)
    for pl, e in seen.values():
        if e >= TEND:
            continue
        times = [rng.uniform(e, TEND) for _ in range(rng.poisson(lam * (TEND - e) / TEND))]
        if e > 0:   # a fresh lead gets a burst of passes in the days after tasking
            times += [rng.uniform(e, min(TEND, e + 3 * 1440)) for _ in range(rng.poisson(burst))]
        for tt in times:
            d = int(tt // 1440)
            day = rng.random() < p_day
            t = d * 1440 + (rng.uniform(9.5, 16.5) if day else (rng.uniform(21.5, 28.5) % 24)) * 60
            for v in vehicles_at(pl, t):
                la = pl.lat + rng.normal(0, 40) / 1000 / KM_LAT
                lo = pl.lon + rng.normal(0, 40) / 1000 / KM_LON
                c = v["cls"]
                guess = v["model"] if rng.random() < 0.55 else c[2][rng.integers(len(c[2]))]
                if day and rng.random() < 0.75:
                    pr = v["plate"] if rng.random() > 0.12 else misread(rng, v["plate"])
                    sig_rows.append((t, uav_src, la, lo, "plate:" + pr, round(float(rng.uniform(0.45, 0.97)), 2),
                                     "%s %s, plate read" % (c[1], c[0])))
                else:
                    src = uav_src if day else ir_src
                    note = "%s %s, possibly %s" % (c[1], c[0], guess) if not day else "%s %s, plate not legible" % (c[1], c[0])
                    sig_rows.append((t, src, la, lo, cls_id(c), round(float(rng.uniform(0.3, 0.85)), 2), note))
    sig_rows.sort(key=lambda r: (r[0], rng.random()))

    # ---------------- entities ----------------
    ents = []
    ents.append({"id": target.id, "schema": "Person", "properties": {"name": [tname], "alias": [talias]}})
    if rng.random() < 0.5:
        pe = {"id": partner.id, "schema": "Person", "properties": {"alias": [palias[6:]]}}
        if rng.random() < 0.4:
            pe["properties"]["name"] = ["%s %s" % (rng.choice(["Karla", "Yesenia", "Brenda", "Daniela", "Marisol"]), L_NAMES[rng.integers(len(L_NAMES))])]
        ents.append(pe)
    ents.append({"id": lead.id, "schema": "Person", "properties": {
        "name": ["%s %s" % (rng.choice(["Luis", "Mario", "Adriana", "Paola", "Omar"]), L_NAMES[rng.integers(len(L_NAMES))])],
        "phone": [lead.phones[0][0]], "description": ["seed lead; lawful intercept in place"]}})
    for p in lts + couriers:
        pr = {"name": [lt_names[p.id]]}
        if rng.random() < 0.4:
            pr["phone"] = [p.phones[0][0]]
        ents.append({"id": p.id, "schema": "Person", "properties": pr})
        if rng.random() < 0.7:
            ents.append({"id": "rel-" + hexid(rng), "schema": "Associate", "properties": {
                "person": [target.id], "associate": [p.id], "relationship": ["subordinate"]}})
    for v in vehicles[:1] + vehicles[3:]:
        if v["owner"] is None and rng.random() < 0.6:
            continue
        if rng.random() < 0.5:
            continue
        pr = {"registrationNumber": [v["plate"]], "type": [v["cls"][0]], "model": [v["model"]]}
        if v["owner"] is not None and v["owner"] is not target and rng.random() < 0.7:
            pr["owner"] = [v["owner"].id]
        ents.append({"id": "veh-" + hexid(rng), "schema": "Vehicle", "properties": pr})
    for k, c in cls_ids.items():
        ents.append({"id": k, "schema": "Vehicle", "properties": {"type": [c[0]], "description": ["unidentified %s %s (imagery class)" % (c[1], c[0])]}})
    addr_pool = [H1] * int(rng.random() < 0.5) + [H0] + list(decoys) + list(innocents[:3]) + ([HF] if HF is not H1 and rng.random() < 0.3 else [])
    for pl in addr_pool:
        if rng.random() < 0.7:
            ents.append({"id": "addr-" + hexid(rng), "schema": "Address", "properties": {
                "full": [pl.name + (", Culiacán, Sin." if pl.city else ", Sin./Dgo.")],
                "latitude": [str(round(pl.lat + rng.normal(0, 0.0005), 6))], "longitude": [str(round(pl.lon + rng.normal(0, 0.0005), 6))]}})
    if T["seed_role"] == "cousin" and any(e["id"] == partner.id for e in ents):
        ents.append({"id": "rel-" + hexid(rng), "schema": "Family", "properties": {"person": [partner.id], "relative": [lead.id], "relationship": ["cousin"]}})
    rng.shuffle(ents)

    # ---------------- write ----------------
    os.makedirs(out, exist_ok=True)
    case_id = "op-" + hashlib.sha1(("%d-%s-x" % (seed, diff)).encode()).hexdigest()[:10]
    with open(os.path.join(out, "case.toml"), "w") as f:
        f.write('[case]\nid = "%s"\ntitle = "Location of subject %s"\nowner_agency = "%s"\n'
                'legal_authority = "Federal court order %d/2026"\ntimezone = "America/Mazatlan"\n\n'
                '[[targets]]\nentity_id = "%s"\n' % (case_id, tname.split()[1].upper(), agency, rng.integers(100, 999), target.id))

    def csvq(x):
        x = "" if x is None else str(x)
        if any(ch in x for ch in ',"\n'):
            x = '"' + x.replace('"', '""') + '"'
        return x

    def wcsv(name, header, rows):
        with open(os.path.join(out, name), "w", encoding="utf-8") as f:
            f.write(",".join(header) + "\n")
            for r in rows:
                f.write(",".join(csvq(x) for x in r) + "\n")
    wcsv("sources.csv", ["source_id", "agency", "discipline", "method", "reliability", "releasable_to"], sources)
    li_nums = {ph[0] for ph in lead.phones}
    crow = []
    for c in calls:
        t, p, q, a, b, dur, ch, cp, cq, content = c
        is_li = a in li_nums or b in li_nums
        if is_li and content is None and rng.random() < 0.3:
            content = "[conversación sin interés]"
        tt = fmt_local(start, t + rng.uniform(0, 1)) if is_li else fmt_z(start, t + rng.uniform(0, 1))
        crow.append((eid("c"), li_src if is_li else cdr_src, tt, dur, ch if not (is_li and ch == "sms" and rng.random() < 0.5) else "message",
                     a, b, "%.5f" % cp[0] if cp else "", "%.5f" % cp[1] if cp else "",
                     "%.5f" % cq[0] if cq else "", "%.5f" % cq[1] if cq else "", content if is_li else ""))
    wcsv("comms.csv", ["event_id", "source_id", "start", "duration_s", "channel", "caller", "callee", "caller_lat",
                       "caller_lon", "callee_lat", "callee_lon", "content"], crow)
    wcsv("locations.csv", ["event_id", "source_id", "observed", "identifier", "lat", "lon", "accuracy_m"],
         [(eid("g"), geo_src, fmt_z(start, r[0]), r[1], "%.6f" % r[2], "%.6f" % r[3], int(r[4])) for r in loc_rows])
    wcsv("sightings.csv", ["event_id", "source_id", "observed", "lat", "lon", "subject", "confidence", "note"],
         [(eid("s"), r[1], fmt_local(start, r[0]), "%.6f" % r[2], "%.6f" % r[3], r[4], r[5], r[6]) for r in sig_rows])
    with open(os.path.join(out, "reports.jsonl"), "w", encoding="utf-8") as f:
        for i, r in enumerate(reports):
            o = {"report_id": "r-" + hexid(rng, 6), "source_id": r["source_id"], "reported": fmt_local(start, r["t"]),
                 "credibility": r["credibility"], "text": r["text"]}
            if r["claims"]:
                o["claims"] = r["claims"]
            f.write(json.dumps(o, ensure_ascii=False) + "\n")
    with open(os.path.join(out, "entities.jsonl"), "w", encoding="utf-8") as f:
        for e in ents:
            f.write(json.dumps(e, ensure_ascii=False) + "\n")

    traits = ["hideout_coverage=%s" % T["hideout_coverage_actual"], "partner_discipline=%s" % T["partner_discipline"],
              "late_move=%s" % ("%dd/%dvisits" % (T["late_move_days"], T["late_move_visits_actual"]) if T["late_move"] else "no"),
              "decoys=%d" % T["n_decoys"], "lt_decoy_rate=%.2f" % T["lt_decoy_rate"],
              "planted_reports=%d" % T["planted_reports"], "stale_reports=%d" % T["stale_reports"],
              "partner_number=%s" % ("known" if T["partner_number_known"] else "inferred"),
              "weak_target_sightings=%s" % T["weak_target_sightings"], "partner_burner_switch=%s" % T["partner_burner_switch"],
              "rented_share=%.2f" % T["rented_share"], "rhythm=%s" % T["rhythm"], "seed_role=%s" % T["seed_role"],
              "hideout_kind=%s" % T["hideout_kind"]]
    hide = [{"lat": H0.lat, "lon": H0.lon, "from": fmt_local(start, -45 * 1440), "to": fmt_local(start, 0), "note": "previous (stale)"},
            {"lat": H1.lat, "lon": H1.lon, "from": fmt_local(start, 0), "to": fmt_local(start, min(t_move, TEND))}]
    if T["late_move"]:
        hide.append({"lat": HF.lat, "lon": HF.lon, "from": fmt_local(start, t_move), "to": fmt_local(start, TEND)})
    truth = {"case_id": case_id, "seed": seed, "target_entity_id": target.id, "hideouts": hide,
             "final": {"lat": HF.lat, "lon": HF.lon}, "partner_phone": p_numbers[0], "partner_phones": p_numbers,
             "partner_alias": palias, "partner_entity_id": partner.id,
             "seed_lead_phone": lead.phones[0][0], "seed_lead_entity_id": lead.id, "difficulty": diff, "traits": traits,
             "trait_values": {k: (v if not isinstance(v, np.generic) else v.item()) for k, v in T.items()},
             "decoys": [{"lat": p.lat, "lon": p.lon, "kind": "decoy_safe_house"} for p in decoys] +
                       [{"lat": p.lat, "lon": p.lon, "kind": "innocent_ranch"} for p in innocents] +
                       [{"lat": rented.lat, "lon": rented.lon, "kind": "rented_house"}],
             "partner_home": {"lat": p_home.lat, "lon": p_home.lon},
             "lieutenants": [{"entity_id": p.id, "phones": [ph[0] for ph in p.phones]} for p in lts],
             "couriers": [{"entity_id": p.id, "phones": [ph[0] for ph in p.phones]} for p in couriers],
             "burner_switches": [{"person": a, "old": b, "new": c, "at": fmt_local(start, d)} for a, b, c, d in old_new],
             "imagery_true_site_included": true_in,
             "visits": [{"night": fmt_local(start, v[0] * 1440)[:10], "kind": v[7], "lat": v[1].lat, "lon": v[1].lon,
                         "driven_by_lead": v[6]} for v in visits],
             "n_days": ndays, "n_civilian_persons": nciv, "gen_seconds": round(time.time() - t_start, 2)}
    with open(os.path.join(out, "truth.json"), "w") as f:
        json.dump(truth, f, indent=1, ensure_ascii=False)
    return truth


def parse_range(s):
    out = []
    for part in s.split(","):
        if "-" in part:
            a, b = part.split("-")
            out += list(range(int(a), int(b) + 1))
        else:
            out.append(int(part))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--batch")
    ap.add_argument("--seeds", default="0-9")
    ap.add_argument("--difficulties", default="easy,normal,hard")
    ap.add_argument("--out")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--difficulty", default="normal")
    a = ap.parse_args()
    if a.batch:
        for d in a.difficulties.split(","):
            for s in parse_range(a.seeds):
                tr = generate(s, d, os.path.join(a.batch, "%s-%d" % (d, s)))
                print("%s-%d %.1fs days=%d" % (d, s, tr["gen_seconds"], tr["n_days"]), flush=True)
    elif a.out:
        tr = generate(a.seed, a.difficulty, a.out)
        print(json.dumps({"out": a.out, "seconds": tr["gen_seconds"]}))
    else:
        ap.error("need --batch or --out")


if __name__ == "__main__":
    main()
