#!/usr/bin/env python3
"""Clean-room synthetic case generator (independent of fusioncell's own simulator).

Written only from the public spec (case-format.md, simulator-realism.md, tradecraft.md).
Usage:
  gen.py OUT_DIR --seed N --difficulty easy|normal|hard
  gen.py --batch OUT_ROOT --seeds 0-9 --difficulties easy,normal,hard
"""
import argparse, csv, heapq, json, math, os, sys, time
import numpy as np

KM_LAT = 111.32

REGIONS = [
    # name, city, lat, lon, area code, tz, utc offset hours, plate state letters, town names
    ("Sinaloa", "Culiacán", 24.805, -107.394, "667", "America/Mazatlan", -7, "VL",
     ["Badiraguato", "Cosalá", "Tamazula", "Eldorado", "Navolato", "Imala", "Tepuche", "Jesús María", "Sanalona"]),
    ("Jalisco", "Guadalajara", 20.674, -103.344, "33", "America/Mexico_City", -6, "JL",
     ["Tapalpa", "Ameca", "Tala", "Cocula", "Atemajac", "Chiquilistlán", "San Martín Hidalgo", "Tecolotlán"]),
    ("Michoacán", "Uruapan", 19.411, -102.057, "452", "America/Mexico_City", -6, "PM",
     ["Tancítaro", "Peribán", "Taretan", "Nuevo Parangaricutiro", "Ziracuaretiro", "Gabriel Zamora", "Los Reyes"]),
    ("Michoacán", "Morelia", 19.706, -101.195, "443", "America/Mexico_City", -6, "PM",
     ["Tarímbaro", "Charo", "Acuitzio", "Quiroga", "Tzitzio", "Madero", "Huiramba", "Indaparapeo"]),
    ("Durango", "Durango", 24.028, -104.653, "618", "America/Monterrey", -6, "DU",
     ["Canatlán", "Nombre de Dios", "El Mezquital", "Otinapa", "Tayoltita", "San Dimas", "Pueblo Nuevo"]),
    ("Nayarit", "Tepic", 21.504, -104.895, "311", "America/Mazatlan", -7, "NY",
     ["Xalisco", "Compostela", "Santa María del Oro", "El Nayar", "Jala", "Ixtlán", "Ahuacatlán"]),
    ("Sonora", "Hermosillo", 29.073, -110.956, "662", "America/Hermosillo", -7, "SR",
     ["Ures", "Mazatán", "Carbó", "San Pedro", "Villa Pesqueira", "Bahía de Kino", "Rayón"]),
    ("Zacatecas", "Fresnillo", 23.171, -102.860, "493", "America/Mexico_City", -6, "ZC",
     ["Valparaíso", "Sombrerete", "Jerez", "Plateros", "Río Grande", "Calera"]),
]
OTHER_CODES = ["55", "81", "664", "656", "222", "477", "999", "614", "686", "33", "667"]

FIRST_M = ["José", "Juan", "Luis", "Carlos", "Jesús", "Miguel", "Francisco", "Jorge", "Ramón", "Alfredo", "Rafael",
           "Héctor", "Arturo", "Ernesto", "Ismael", "Aurelio", "Rigoberto", "Fausto", "Gilberto", "Iván", "Omar"]
FIRST_F = ["María", "Guadalupe", "Rosa", "Karla", "Daniela", "Brenda", "Yesenia", "Leticia", "Araceli", "Mayra",
           "Fernanda", "Paola", "Alejandra", "Claudia", "Itzel", "Janeth", "Marisol", "Viridiana"]
LAST = ["García", "López", "Martínez", "Hernández", "Gastélum", "Félix", "Beltrán", "Quintero", "Zambada", "Salazar",
        "Caro", "Guzmán", "Ochoa", "Meza", "Valenzuela", "Arellano", "Cervantes", "Mendoza", "Rentería", "Sánchez",
        "Villarreal", "Torres", "Castro", "Nava", "Ibarra", "Lugo", "Parra", "Esparza", "Rosales", "Tirado"]
ALIAS_T = ["El Señor", "El Patrón", "El Ingeniero", "El Viejo", "El Tío", "El Gallo", "El Licenciado", "El Compadre",
           "El Doctor", "El Abuelo", "El Güero Grande", "Don Chuy"]
ALIAS_P = ["La Güera", "La Flaca", "La Chaparra", "Lupita", "La Morena", "La Nena", "La Reina", "Chiquis", "La Muñeca",
           "La Jefa", "Yoli", "La Princesa"]
ALIAS_L = ["El Flaco", "El Chino", "El Gordo", "El Toro", "El Pelón", "El Tuerto", "El Charro", "El Primo", "El Cholo",
           "El 15", "El Cabo", "El Negro", "El Chapito", "El Mudo", "El Zurdo", "El Tigre"]
VTYPES = ["pickup", "suv", "sedan", "van", "hatchback", "pickup-doble-cabina"]
VCOLS = ["white", "black", "grey", "red", "silver", "blue", "maroon", "beige"]
VCOLS_ES = {"white": "blanca", "black": "negra", "grey": "gris", "red": "roja", "silver": "plata", "blue": "azul",
            "maroon": "guinda", "beige": "arena"}
AGENCIES = ["SEDENA-INT", "SEMAR-UIN", "FGR-AIC", "GN-UIE", "CNI-MX"]
PARTNERS = ["PARTNER-US", "DEA-MX", "SSPC", "FGE-LOCAL", "CNI-MX", "SEMAR-UIN"]

TRAITS = ["coverage_hole", "phone_discipline", "decoy_safehouses", "weak_evidence", "late_move",
          "burner_switch", "planted_reports", "irregular_rhythm"]
TRAIT_P = {
    "easy":   dict(coverage_hole=0.0, phone_discipline=0.0, decoy_safehouses=0.3, weak_evidence=0.15, late_move=0.0,
                   burner_switch=0.25, planted_reports=0.1, irregular_rhythm=0.15),
    "normal": dict(coverage_hole=0.25, phone_discipline=0.35, decoy_safehouses=0.5, weak_evidence=0.35, late_move=0.2,
                   burner_switch=0.45, planted_reports=0.35, irregular_rhythm=0.35),
    "hard":   dict(coverage_hole=0.4, phone_discipline=0.45, decoy_safehouses=0.7, weak_evidence=0.5, late_move=0.3,
                   burner_switch=0.6, planted_reports=0.5, irregular_rhythm=0.45),
}
HARD_MIN = 3  # hard cases get at least this many traits


# ----------------------------------------------------------------------------- geometry / roads
class World:
    def __init__(self, rng, reg):
        self.rng = rng
        (self.state, self.city, self.lat0, self.lon0, self.code, self.tz, self.off_h, self.plate_st, townnames) = reg
        self.klon = KM_LAT * math.cos(math.radians(self.lat0))
        self.Rc = rng.uniform(5.0, 11.0)
        ntown = int(rng.integers(4, min(9, len(townnames)) + 1))
        names = list(rng.permutation(townnames)[:ntown])
        self.towns = []
        ang0 = rng.uniform(0, 2 * np.pi)
        for i, nm in enumerate(names):
            a = ang0 + 2 * np.pi * i / ntown + rng.normal(0, 0.35)
            r = rng.uniform(16, 75)
            self.towns.append((nm, np.array([r * math.cos(a), r * math.sin(a)])))
        self._build_roads()
        self._build_sites()
        self._path_cache = {}

    def ll(self, xy):
        xy = np.asarray(xy, float)
        return self.lat0 + xy[..., 1] / KM_LAT, self.lon0 + xy[..., 0] / self.klon

    def _polyline(self, a, b, bend):
        L = np.linalg.norm(b - a)
        n = max(2, int(L / self.rng.uniform(2.5, 5.0)))
        t = np.linspace(0, 1, n + 1)
        d = (b - a)
        nrm = np.array([-d[1], d[0]]) / (L + 1e-9)
        # smooth lateral wiggle: sum of two sines with random phase + noise
        lat = bend * L * (0.12 * np.sin(np.pi * t * self.rng.integers(1, 4) + self.rng.uniform(0, 6)) * np.sin(np.pi * t))
        lat += self.rng.normal(0, 0.25, t.size) * np.sin(np.pi * t)
        pts = a[None, :] + t[:, None] * d[None, :] + lat[:, None] * nrm[None, :]
        return pts

    def _build_roads(self):
        rng = self.rng
        V = [np.zeros(2)]
        E = []
        def add_line(pts, ia, ib):
            idx = [ia]
            for p in pts[1:-1]:
                V.append(p); idx.append(len(V) - 1)
            idx.append(ib)
            for u, v in zip(idx[:-1], idx[1:]):
                E.append((u, v))
        tidx = []
        for nm, c in self.towns:
            V.append(c.copy()); tidx.append(len(V) - 1)
        # city ring roads (a few vertices around the center)
        ring = []
        for k in range(8):
            a = 2 * np.pi * k / 8 + rng.normal(0, 0.1)
            V.append(np.array([math.cos(a), math.sin(a)]) * self.Rc * rng.uniform(0.4, 0.8)); ring.append(len(V) - 1)
        for k in range(8):
            E.append((ring[k], ring[(k + 1) % 8])); E.append((0, ring[k]))
        for i, (nm, c) in enumerate(self.towns):
            # highway from nearest ring vertex
            rv = min(ring, key=lambda j: np.linalg.norm(V[j] - c))
            add_line(self._polyline(V[rv], c, rng.uniform(0.5, 1.5)), rv, tidx[i])
        # some town-town connections
        for i in range(len(tidx)):
            for j in range(i + 1, len(tidx)):
                if np.linalg.norm(V[tidx[i]] - V[tidx[j]]) < 45 and rng.random() < 0.45:
                    add_line(self._polyline(V[tidx[i]], V[tidx[j]], rng.uniform(0.6, 1.8)), tidx[i], tidx[j])
        # rural spurs (dirt roads) from towns
        for i in range(len(tidx)):
            for _ in range(int(rng.integers(1, 4))):
                a = rng.uniform(0, 2 * np.pi)
                end = V[tidx[i]] + np.array([math.cos(a), math.sin(a)]) * rng.uniform(8, 25)
                V.append(end); ie = len(V) - 1
                add_line(self._polyline(V[tidx[i]], end, rng.uniform(0.8, 2.0)), tidx[i], ie)
        self.V = np.array(V)
        self.adj = [[] for _ in range(len(V))]
        for u, v in E:
            w = float(np.linalg.norm(self.V[u] - self.V[v]))
            self.adj[u].append((v, w)); self.adj[v].append((u, w))
        self.rural_vertices = np.array([i for i in range(len(V)) if np.linalg.norm(self.V[i]) > self.Rc + 4])

    def _build_sites(self):
        rng = self.rng
        S, R = [], []
        nc = int(rng.integers(35, 130))
        r = self.Rc * np.sqrt(rng.random(nc)) * 1.1
        a = rng.uniform(0, 2 * np.pi, nc)
        for i in range(nc):
            S.append([r[i] * math.cos(a[i]), r[i] * math.sin(a[i])]); R.append(rng.uniform(1.2, 3.5))
        for nm, c in self.towns:
            for _ in range(int(rng.integers(1, 6))):
                S.append(c + rng.normal(0, 1.2, 2)); R.append(rng.uniform(3, 7))
        # rural sites along highways, sparse
        rv = self.rural_vertices
        k = int(len(rv) * rng.uniform(0.35, 0.7))
        for i in rng.choice(rv, size=k, replace=False):
            S.append(self.V[i] + rng.normal(0, 1.5, 2)); R.append(rng.uniform(5, 12))
        # a few off-road sites (ranchería towers)
        for _ in range(int(rng.integers(3, 12))):
            v = self.V[rng.choice(rv)]
            S.append(v + rng.normal(0, 8, 2)); R.append(rng.uniform(4, 10))
        S = np.array(S); R = np.array(R)
        # cities and towns are fully served: fill any gap on a 1 km grid
        g = np.arange(-self.Rc - 2, self.Rc + 2.01, 1.0)
        G = np.stack(np.meshgrid(g, g), -1).reshape(-1, 2)
        G = G[np.linalg.norm(G, axis=1) < self.Rc + 2]
        for nm, c in self.towns:
            G = np.vstack([G, c + np.stack(np.meshgrid(np.arange(-3, 3.1, 1.0), np.arange(-3, 3.1, 1.0)), -1).reshape(-1, 2)])
        for p in G:
            if not (np.linalg.norm(S - p, axis=1) < R).any():
                S = np.vstack([S, p + rng.normal(0, 0.3, 2)]); R = np.append(R, rng.uniform(1.5, 3.0))
        # mountain shadows: discs where nothing is served (never over the city or a town)
        nh = int(rng.integers(2, 7))
        holes = []
        towns_xy = np.array([c for _, c in self.towns])
        tries = 0
        while len(holes) < nh and tries < 500:
            tries += 1
            v = self.V[rng.choice(rv)]
            c, rad = v + rng.normal(0, 4, 2), rng.uniform(3.5, 10)
            if np.linalg.norm(c) - rad < self.Rc + 3 or (np.linalg.norm(towns_xy - c, axis=1) - rad < 3.5).any():
                continue
            holes.append((c, rad))
        self.holes = holes
        keep = np.ones(len(S), bool)
        for c, rad in holes:
            keep &= np.linalg.norm(S - c, axis=1) > rad
        self.sites = S[keep]; self.srange = R[keep]

    def in_hole(self, xy):
        xy = np.atleast_2d(xy)
        m = np.zeros(len(xy), bool)
        for c, rad in self.holes:
            m |= np.linalg.norm(xy - c, axis=1) < rad
        return m

    def covered(self, xy):
        xy = np.atleast_2d(xy)
        d = np.sqrt(((xy[:, None, :] - self.sites[None, :, :]) ** 2).sum(-1))
        return (d < self.srange[None, :]).any(1) & ~self.in_hole(xy)

    def serving(self, xy, p_near):
        """serving cell site index per position (-1 where not covered)."""
        xy = np.atleast_2d(xy)
        out = np.full(len(xy), -1)
        ok = self.covered(xy) if len(xy) else np.zeros(0, bool)
        for s in range(0, len(xy), 4000):
            sl = slice(s, s + 4000)
            d = np.sqrt(((xy[sl, None, :] - self.sites[None, :, :]) ** 2).sum(-1))
            inr = d < self.srange[None, :]
            dd = np.where(inr, d, np.inf)
            near = dd.argmin(1)
            w = np.where(inr, 1.0 / (d + 0.3), 0.0)
            w[np.arange(len(near)), near] = 0.0
            tot = w.sum(1)
            alt = np.full(len(near), -1)
            has = tot > 0
            if has.any():
                c = np.cumsum(w[has], 1) / tot[has, None]
                u = self.rng.random(has.sum())[:, None]
                alt[has] = (c < u).sum(1)
            use_alt = has & (self.rng.random(len(near)) > p_near)
            out[sl] = np.where(use_alt, alt, near)
        out[~ok] = -1
        return out

    def site_density(self, xy, rad=5.0):
        xy = np.atleast_2d(xy)
        d = np.sqrt(((xy[:, None, :] - self.sites[None, :, :]) ** 2).sum(-1))
        return (d < rad).sum(1)

    def _nearest_vertex(self, p):
        return int(np.argmin(((self.V - p) ** 2).sum(1)))

    def _dijkstra(self, s):
        if s in self._path_cache:
            return self._path_cache[s]
        dist = {s: 0.0}; prev = {s: -1}; pq = [(0.0, s)]
        while pq:
            d, u = heapq.heappop(pq)
            if d > dist.get(u, 1e18):
                continue
            for v, w in self.adj[u]:
                nd = d + w
                if nd < dist.get(v, 1e18):
                    dist[v] = nd; prev[v] = u; heapq.heappush(pq, (nd, v))
        self._path_cache[s] = prev
        return prev

    def route(self, a, b):
        a = np.asarray(a, float); b = np.asarray(b, float)
        rng = self.rng
        if np.linalg.norm(a - b) < 0.05:
            return np.array([a, b])
        if np.linalg.norm(a) < self.Rc + 1.5 and np.linalg.norm(b) < self.Rc + 1.5 or np.linalg.norm(a - b) < 4:
            f = rng.uniform(0.2, 0.8)
            bend = np.array([a[0] + f * (b[0] - a[0]), a[1]]) if rng.random() < 0.5 else np.array([a[0], a[1] + f * (b[1] - a[1])])
            bend2 = np.array([b[0], bend[1]]) if rng.random() < 0.5 else np.array([bend[0], b[1]])
            return np.array([a, bend + rng.normal(0, 0.15, 2), bend2 + rng.normal(0, 0.15, 2), b])
        va, vb = self._nearest_vertex(a), self._nearest_vertex(b)
        prev = self._dijkstra(vb)
        path = []
        u = va
        guard = 0
        while u != -1 and guard < 10000:
            path.append(u)
            u = prev.get(u, -1)
            guard += 1
        if not path or path[-1] != vb:
            path = [va, vb]
        pts = [a] + [self.V[i] for i in path] + [b]
        return np.array(pts)


# ----------------------------------------------------------------------------- tracks
def run_plan(world, T, start, moves, speed_rng):
    """moves: list of (depart_minute, dest_xy). Returns X (T,2) per-minute position and arrival minutes."""
    X = np.empty((T, 2))
    cur = np.asarray(start, float); t = 0
    arrivals = []
    for td, dest in sorted(moves, key=lambda m: m[0]):
        td = int(max(td, t))
        if td >= T:
            break
        X[t:td] = cur
        poly = world.route(cur, dest)
        seg = np.sqrt((np.diff(poly, axis=0) ** 2).sum(1))
        cum = np.concatenate([[0], np.cumsum(seg)])
        L = cum[-1]
        spd = speed_rng.uniform(28, 40) if L < 15 else speed_rng.uniform(45, 70)
        dur = max(1, int(math.ceil(L / spd * 60 + speed_rng.uniform(0, 6))))
        k = np.arange(dur)
        s = L * k / dur
        e = min(td + dur, T)
        X[td:e, 0] = np.interp(s, cum, poly[:, 0])[: e - td]
        X[td:e, 1] = np.interp(s, cum, poly[:, 1])[: e - td]
        t = td + dur
        cur = np.asarray(dest, float)
        arrivals.append(t)
        if t >= T:
            break
    if t < T:
        X[t:] = cur
    return X, arrivals


# ----------------------------------------------------------------------------- id styles
class Ids:
    def __init__(self, rng):
        self.rng = rng
        self.used = set()

    def seq_style(self, n, style=None):
        rng = self.rng
        style = style if style is not None else int(rng.integers(0, 4))
        if style == 0:
            base = int(rng.integers(10 ** 5, 10 ** 7)); steps = rng.integers(1, 9, n)
            pre = str(rng.choice(["", "E", "ev", "r", "x"]))
            return [f"{pre}{v}" for v in base + np.cumsum(steps)]
        if style == 1:
            return self.hex(n, int(rng.integers(8, 13)))
        if style == 2:
            yr = int(rng.integers(24, 27)); pre = str(rng.choice(["CDR", "LOC", "OBS", "EVT", "DOC"]))
            base = int(rng.integers(1000, 90000)); steps = rng.integers(1, 4, n)
            return [f"{pre}-{yr}-{v:07d}" for v in base + np.cumsum(steps)]
        h = self.hex(n, 12)
        return [f"{s[:4]}-{s[4:8]}-{s[8:]}" for s in h]

    def hex(self, n, k):
        out = []
        while len(out) < n:
            v = self.rng.integers(0, 16, size=(n - len(out) + 8, k))
            for row in v:
                s = "".join("0123456789abcdef"[i] for i in row)
                if s not in self.used:
                    self.used.add(s); out.append(s)
                if len(out) >= n:
                    break
        return out


def fmt_times(local_min_f, start_date, off_h, zulu):
    """local_min_f: float minutes since local midnight of day 0 -> ISO strings with offset."""
    sec = np.round(np.asarray(local_min_f, float) * 60).astype(np.int64)
    base = np.datetime64(start_date, "s")
    if zulu:
        dt = base + sec - int(off_h * 3600)
        return [s + "Z" for s in np.datetime_as_string(dt, unit="s")]
    dt = base + sec
    suf = f"{'-' if off_h < 0 else '+'}{abs(int(off_h)):02d}:00"
    return [s + suf for s in np.datetime_as_string(dt, unit="s")]


# ----------------------------------------------------------------------------- generator
def generate(out_dir, seed, difficulty):
    t_start = time.time()
    rng = np.random.default_rng([seed, {"easy": 11, "normal": 23, "hard": 37}[difficulty], 9173])
    reg = REGIONS[int(rng.integers(len(REGIONS)))]
    W = World(rng, reg)
    off_h = W.off_h
    D = int(rng.integers(20, 46))
    T = D * 1440
    start_date = str(np.datetime64("2025-09-01") + int(rng.integers(0, 420)))
    dow0 = int((np.datetime64(start_date).astype(int) + 3) % 7)  # 0=Mon
    dows = (dow0 + np.arange(D)) % 7

    # ---- traits
    P = TRAIT_P[difficulty]
    traits = [t for t in TRAITS if rng.random() < P[t]]
    if difficulty == "hard":
        pool = [t for t in TRAITS if t not in traits]
        while len(traits) < HARD_MIN and pool:
            x = pool.pop(int(rng.integers(len(pool)))); traits.append(x)
    traits = [t for t in TRAITS if t in traits]
    has = lambda t: t in traits

    def rand_city(frac=0.85):
        r = W.Rc * frac * math.sqrt(rng.random()); a = rng.uniform(0, 2 * np.pi)
        return np.array([r * math.cos(a), r * math.sin(a)])

    def rand_town_pt(ti=None, sd=1.0):
        ti = int(rng.integers(len(W.towns))) if ti is None else ti
        return W.towns[ti][1] + rng.normal(0, sd, 2)

    def rand_rural(want_cov=None, tries=400):
        for _ in range(tries):
            v = W.V[rng.choice(W.rural_vertices)]
            a = rng.uniform(0, 2 * np.pi)
            p = v + np.array([math.cos(a), math.sin(a)]) * rng.uniform(0.6, 5.0)
            if np.linalg.norm(p) < W.Rc + 6:
                continue
            if want_cov is None or bool(W.covered(p)[0]) == want_cov:
                return p
        return p

    def in_hole_pt():
        if not W.holes:
            return rand_rural(want_cov=False)
        c, rad = W.holes[int(rng.integers(len(W.holes)))]
        for _ in range(200):
            a = rng.uniform(0, 2 * np.pi); p = c + np.array([math.cos(a), math.sin(a)]) * rad * math.sqrt(rng.random()) * 0.75
            if np.linalg.norm(p) > W.Rc + 6:
                return p
        return c

    # ---- hideouts
    def pick_hideout():
        if has("coverage_hole"):
            return in_hole_pt(), "rural compound"
        if rng.random() < 0.25:
            for _ in range(50):
                p = rand_town_pt(sd=0.9)
                if W.covered(p)[0] and not W.in_hole(p)[0]:
                    return p, "house in town"
        return rand_rural(want_cov=True), "rural compound"

    hide1, hk1 = pick_hideout()
    move_day = None
    hideouts = [(hide1, 0, T, hk1)]
    if has("late_move"):
        move_day = D - int(rng.integers(3, 11))   # the move happens 2-10 days before the end of the period
        move_day = max(move_day, 8)
        if rng.random() < 0.5 and not has("coverage_hole"):
            hide2, hk2 = rand_rural(want_cov=True), "rural compound"
        else:
            hide2, hk2 = pick_hideout()
        mv = move_day * 1440 + int(rng.integers(9 * 60, 17 * 60))
        hideouts = [(hide1, 0, mv, hk1), (hide2, mv, T, hk2)]

    def hideout_at(m):
        for h, a, b, _ in hideouts:
            if a <= m < b:
                return h
        return hideouts[-1][0]

    # ---- other places
    n_dec = int(rng.integers(1, 4)) + (1 if has("decoy_safehouses") else 0)
    decoys = []
    for _ in range(n_dec):
        if rng.random() < 0.3:
            decoys.append((rand_town_pt(sd=1.2), "safehouse"))
        else:
            decoys.append((rand_rural(want_cov=None if rng.random() < 0.6 else bool(rng.random() < 0.6)), "ranch-safehouse"))
    ranches = [(rand_rural(), "ranch") for _ in range(int(rng.integers(3, 9)))]
    innocent = [(rand_rural() if rng.random() < 0.6 else rand_town_pt(), "innocent") for _ in range(int(rng.integers(2, 6)))]

    # ---- people
    persons = []  # dict: kind, home, work, employed

    def add_person(kind, home, work=None, sex=None):
        sex = sex or ("F" if rng.random() < 0.5 else "M")
        nm = f"{rng.choice(FIRST_F if sex == 'F' else FIRST_M)} {rng.choice(LAST)} {rng.choice(LAST)}"
        persons.append(dict(kind=kind, home=np.asarray(home, float), work=None if work is None else np.asarray(work, float),
                            name=nm, sex=sex))
        return len(persons) - 1

    partner = add_person("partner", rand_city(0.8), rand_city(0.6) if rng.random() < 0.8 else None, "F")
    seed_role = str(rng.choice(["friend", "cousin", "driver", "friend", "cousin"]))
    seed = add_person("seed", rand_city(0.9), rand_city(0.7), "M" if seed_role == "driver" else None)
    mother = add_person("mother", rand_town_pt(sd=0.6) if rng.random() < 0.55 else rand_city(0.9), None, "F")
    sister = add_person("sister", rand_city(0.9) if rng.random() < 0.6 else rand_town_pt(sd=0.6), rand_city(0.7), "F")
    nL = int(rng.integers(3, 8))
    roles = ["courier", "bodyguard"] + list(rng.choice(["lieutenant", "courier", "bodyguard", "lieutenant"], nL - 2))
    circle = []
    for r in roles:
        h = rand_town_pt(sd=1.0) if rng.random() < 0.65 else rand_city(0.9)
        circle.append(add_person(r, h, None, "M"))
    n_phones_target = int(rng.integers(150, 401))
    n_civ = max(60, int(n_phones_target / 1.12) - len(persons))
    civ_start = len(persons)
    for _ in range(n_civ):
        u = rng.random()
        if u < 0.68:
            h = rand_city(1.0)
        elif u < 0.94:
            h = rand_town_pt(sd=1.5)
        else:
            h = rand_rural()
        w = None
        if rng.random() < 0.6:
            w = rand_city(0.8) if (np.linalg.norm(h) < W.Rc + 2 or rng.random() < 0.3) else h + rng.normal(0, 1.0, 2)
        add_person("civ", h, w)
    NP = len(persons)
    homes = np.array([p["home"] for p in persons])
    works = np.array([p["work"] if p["work"] is not None else p["home"] for p in persons])
    employed = np.array([p["work"] is not None for p in persons])

    # ---- partner schedule
    visits = []  # (night_day_index, site)
    rhythm = str(rng.choice(["regular", "bursty"]))
    irregular = has("irregular_rhythm")
    d = int(rng.integers(0, 3))
    last_night = D - 2
    while d <= last_night:
        visits.append(d)
        if rhythm == "bursty" and rng.random() < 0.55:
            d += 1
        else:
            lo, hi = (1, 10) if irregular else (1, 6)
            d += int(rng.integers(lo, hi + 1)) if rhythm == "regular" else int(rng.integers(2, 8 if not irregular else 11))
    vset = set(visits)
    if move_day is not None:
        after = [n for n in visits if n >= move_day]
        if not after:
            vset.add(int(rng.integers(move_day, D - 1)))
        elif len(after) > 2:
            for n in after[2:]:
                if rng.random() < 0.6:
                    vset.discard(n)
    before = [n for n in vset if move_day is None or n < move_day]
    if len(vset) < 4:
        for n in rng.choice(np.arange(0, D - 1), 4, replace=False):
            vset.add(int(n))
    visits = sorted(vset)
    p_other = 0.22 if irregular else 0.07
    nightplan = []
    for n in range(D):
        if n in vset:
            nightplan.append("visit")
        elif rng.random() < p_other:
            nightplan.append(str(rng.choice(["mother", "mother", "sister", "friend"])))
        else:
            nightplan.append("home")
    friends_places = [rand_city(0.9) for _ in range(int(rng.integers(2, 5)))]
    place_of = {"home": persons[partner]["home"], "mother": persons[mother]["home"], "sister": persons[sister]["home"]}

    # phone behaviour per visit
    lo_hi = (0.1, 0.3, 0.2, 0.45) if difficulty != "hard" else (0.15, 0.35, 0.2, 0.45)
    p_left = rng.uniform(lo_hi[0], lo_hi[1]) if has("phone_discipline") else 0.0
    p_off = rng.uniform(lo_hi[2], lo_hi[3]) if has("phone_discipline") else 0.0
    visit_mode = {}
    for n in visits:
        u = rng.random()
        visit_mode[n] = "left" if u < p_left else ("off" if u < p_left + p_off else "on")
    driven = {}
    for n in visits:
        driven[n] = seed_role == "driver" and rng.random() < 0.6

    moves = []
    seed_moves = []
    ph_left_windows = []   # (t0, t1, pos)
    ph_off_visits = []     # (t0, t1, site, dist)
    cur_night_place = place_of["home"]
    for day in range(D):
        base = day * 1440
        wk = dows[day] < 5
        prev = nightplan[day - 1] if day > 0 else "home"
        tonight = nightplan[day]
        # morning
        if prev == "visit":
            site = hideout_at(base)
            mode = visit_mode.get(day - 1, "on")
            dep = base + int(rng.integers(330, 540))
            if mode == "left":
                moves.append((dep, place_of["home"]))
                t_home = dep + 90 + int(rng.integers(0, 60))
                ph_left_windows[-1] = (ph_left_windows[-1][0], t_home, ph_left_windows[-1][2])
                if wk and employed[partner]:
                    moves.append((t_home + int(rng.integers(15, 50)), works[partner]))
            elif wk and employed[partner]:
                moves.append((dep, works[partner]))
            else:
                moves.append((dep, place_of["home"]))
            if mode == "off":
                ph_off_visits[-1] = (ph_off_visits[-1][0], dep + 240, site, ph_off_visits[-1][3])
        elif wk and employed[partner]:
            moves.append((base + int(rng.integers(440, 540)), works[partner]))
        elif rng.random() < 0.5:
            dest = place_of["mother"] if rng.random() < 0.5 else friends_places[int(rng.integers(len(friends_places)))]
            moves.append((base + int(rng.integers(600, 780)), dest))
        # evening
        if tonight == "visit":
            site = hideout_at(base + 1200)
            trav = np.linalg.norm(site - place_of["home"]) * 1.4 / 50 * 60
            if wk and employed[partner] and rng.random() < 0.5:
                moves.append((base + int(rng.integers(1050, 1110)), place_of["home"]))
            arr = base + int(rng.integers(1140, 1380))
            dep = int(max(arr - trav, base + 960))
            moves.append((dep, site))
            mode = visit_mode[day]
            if mode == "left":
                ph_left_windows.append((dep - 5, None, place_of["home"].copy()))
                # she leaves from wherever she is; make her pass by home first
                moves.insert(len(moves) - 1, (dep - int(rng.integers(40, 90)), place_of["home"]))
            if mode == "off":
                ph_off_visits.append((dep, None, site, rng.uniform(1.0, 25.0)))
            if driven[day]:
                seed_moves.append((dep - 30, place_of["home"]))
                seed_moves.append((dep, site))
                seed_moves.append((dep + int(trav) + 20, persons[seed]["home"]))
        else:
            dest = place_of.get(tonight, None)
            if tonight == "friend":
                dest = friends_places[int(rng.integers(len(friends_places)))]
            if rng.random() < 0.3 and tonight == "home":
                fp = friends_places[int(rng.integers(len(friends_places)))]
                moves.append((base + int(rng.integers(1080, 1200)), fp))
                moves.append((base + int(rng.integers(1260, 1410)), dest))
            else:
                moves.append((base + int(rng.integers(1050, 1290)), dest))
    Xp, _ = run_plan(W, T, place_of["home"], moves, rng)
    # seed lead: home/work, evenings out, driving
    sm = []
    for day in range(D):
        base = day * 1440
        if dows[day] < 6 or rng.random() < 0.3:
            sm.append((base + int(rng.integers(420, 560)), persons[seed]["work"]))
            sm.append((base + int(rng.integers(1000, 1150)), persons[seed]["home"]))
        if rng.random() < 0.25:
            sm.append((base + int(rng.integers(1160, 1260)), rand_city(0.9)))
            sm.append((base + int(rng.integers(1280, 1420)), persons[seed]["home"]))
        if day >= 1 and driven.get(day - 1):
            site = hideout_at(base)
            # pick-up: travel to the site early and bring her back
            tr = np.linalg.norm(site - persons[seed]["home"]) * 1.4 / 50 * 60
            sm.append((base + int(max(240, 330 - tr)), site))
            sm.append((base + 330 + int(rng.integers(0, 30)), place_of["home"]))
            sm.append((base + 330 + int(tr) + 60, persons[seed]["home"]))
    sm += seed_moves
    # drop conflicting ordinary moves near the driving windows (keep it simple: sort, run)
    Xs, _ = run_plan(W, T, persons[seed]["home"], sm, rng)

    # ---- lieutenants' tracks
    Xl = {}
    circ_phone_off_at_site = {}
    decoy_of = {}
    sleep_decoy_p = {}
    for li, pi in enumerate(circle):
        role = persons[pi]["kind"]
        home = persons[pi]["home"]
        mv = []
        dec = decoys[int(rng.integers(len(decoys)))][0]
        decoy_of[pi] = dec
        sleep_decoy_p[pi] = rng.uniform(0.35, 0.8) if (has("decoy_safehouses") and role != "bodyguard") else (0.04 if role == "lieutenant" else 0.0)
        circ_phone_off_at_site[pi] = rng.uniform(1.0, 15.0) if rng.random() < (0.6 if has("phone_discipline") else 0.35) else 0.0
        on_duty = rng.random() < 0.5
        shift_left = int(rng.integers(2, 8))
        for day in range(D):
            base = day * 1440
            site = hideout_at(base + 720)
            if role == "bodyguard":
                shift_left -= 1
                if shift_left <= 0:
                    on_duty = not on_duty
                    shift_left = int(rng.integers(4, 11)) if on_duty else int(rng.integers(1, 4))
                if on_duty:
                    mv.append((base + int(rng.integers(0, 1440)) if rng.random() < 0.15 else base + 600, site))
                    if rng.random() < 0.25:  # errand to a town
                        mv.append((base + int(rng.integers(600, 900)), rand_town_pt()))
                        mv.append((base + int(rng.integers(960, 1100)), site))
                else:
                    mv.append((base + int(rng.integers(480, 900)), home))
                continue
            # courier/lieutenant day
            p_meet = 0.45 if role == "courier" else 0.18
            if rng.random() < p_meet:
                t0 = base + int(rng.integers(540, 1000))
                mv.append((t0, site))
                mv.append((t0 + int(rng.integers(45, 200)), home if rng.random() < 0.6 else rand_town_pt()))
            else:
                if rng.random() < 0.6:
                    mv.append((base + int(rng.integers(540, 800)), rand_city(0.9) if rng.random() < 0.5 else rand_town_pt()))
                    mv.append((base + int(rng.integers(900, 1150)), home))
            if rng.random() < sleep_decoy_p[pi]:
                mv.append((base + int(rng.integers(1170, 1380)), dec))
                mv.append((base + 1440 + int(rng.integers(360, 560)), home))
        Xl[pi], _ = run_plan(W, T, home, mv, rng)

    # ---- phone state for tracked/key phones (per-minute position of the handset; NaN = off)
    def phone_track(X, pi):
        PX = X.copy()
        # random nights switched off at home (not tied to truth)
        for day in range(D):
            if rng.random() < 0.05:
                a = day * 1440 + int(rng.integers(0, 120)); b = a + int(rng.integers(180, 400))
                PX[a:min(b, T)] = np.nan
        return PX

    PXp = phone_track(Xp, partner)
    for t0, t1, pos in ph_left_windows:
        t1 = t1 if t1 is not None else t0 + 720
        PXp[t0:min(t1, T)] = pos
    for t0, t1, site, dist in ph_off_visits:
        t1 = t1 if t1 is not None else t0 + 900
        seg = Xp[t0:min(t1, T)]
        m = np.linalg.norm(seg - site, axis=1) < dist
        tmp = PXp[t0:min(t1, T)]; tmp[m] = np.nan; PXp[t0:min(t1, T)] = tmp
    PXs = phone_track(Xs, seed)
    if has("phone_discipline"):
        for n in visits:
            if driven.get(n) and visit_mode[n] != "on":
                site = hideout_at(n * 1440 + 1200)
                a, b = n * 1440 + 900, min(T, n * 1440 + 1440 + 900)
                m = np.linalg.norm(Xs[a:b] - site, axis=1) < rng.uniform(2, 20)
                tmp = PXs[a:b]; tmp[m] = np.nan; PXs[a:b] = tmp
    PXl = {}
    for pi in circle:
        PX = phone_track(Xl[pi], pi)
        dd = circ_phone_off_at_site[pi]
        if dd > 0:
            for h, a, b, _ in hideouts:
                m = np.linalg.norm(Xl[pi][a:b] - h, axis=1) < dd
                tmp = PX[a:b]; tmp[m] = np.nan; PX[a:b] = tmp
        PXl[pi] = PX
    tracks = {partner: PXp, seed: PXs}
    tracks.update(PXl)

    # ---- numbers
    taken = set()

    def new_number(code=None):
        code = code or W.code
        while True:
            if code == "1":
                n = "+1" + str(rng.choice(["520", "915", "619", "956", "213", "602"])) + "".join(str(x) for x in rng.integers(0, 10, 7))
            else:
                n = "+52" + code + "".join(str(x) for x in rng.integers(0, 10, 10 - len(code)))
            if n not in taken:
                taken.add(n); return n

    sims = [[] for _ in range(NP)]   # list of [number, t0, t1, weight, carrier]
    carriers = ["Telcel", "AT&T", "Movistar"]
    for pi in range(NP):
        u = rng.random()
        code = W.code if u < 0.86 else (str(rng.choice(OTHER_CODES)) if u < 0.97 else "1")
        car = int(rng.choice(3, p=[0.62, 0.25, 0.13]))
        sims[pi].append([new_number(code), 0, T, 1.0, car])
        if persons[pi]["kind"] == "civ":
            if rng.random() < 0.07:  # second SIM
                sims[pi].append([new_number(), 0, T, rng.uniform(0.1, 0.5), int(rng.integers(3))])
            if rng.random() < 0.035 * D / 30:  # SIM change
                tc = int(rng.integers(1440, T - 1440))
                sims[pi][0][2] = tc + int(rng.integers(0, 2880))
                sims[pi].append([new_number(), tc, T, 1.0, int(rng.integers(3))])
    # circle numbers are local; a couple of lieutenants keep a second phone
    for pi in circle:
        sims[pi][0][0] = new_number()
    burner_day = None
    successions = []
    if has("burner_switch"):
        burner_day = int(rng.integers(int(D * 0.3), int(D * 0.7)))
        tb = burner_day * 1440 + int(rng.integers(480, 1200))
        members = [pi for pi in circle if rng.random() < 0.85] or circle[:2]
        for pi in members:
            s0 = sims[pi][0]
            tc = tb + int(rng.integers(-600, 600))
            s0[2] = tc + int(rng.integers(0, 1800))
            nn = new_number()
            sims[pi].append([nn, tc, T, 1.0, int(rng.integers(3))])
            successions.append({"old": s0[0], "new": nn, "at_min": int(tc), "person": pi})
    # travel-away silence for civilians
    away = np.zeros((NP, 2), int)
    away[:, 0] = T + 1
    for pi in range(civ_start, NP):
        if rng.random() < 0.1:
            a = int(rng.integers(0, T - 1440)); away[pi] = (a, a + int(rng.integers(2, 10)) * 1440)

    # ---- contact graph
    edges = []  # (a, b, rate/day, recip)

    def E(a, b, rate, rec=0.5):
        edges.append((a, b, rate, rec))
    civ = np.arange(civ_start, NP)
    act = rng.lognormal(-1.2, 1.0, NP)  # activity per person
    for pi in civ:
        k = int(np.clip(rng.lognormal(1.3, 0.6), 1, 25))
        # prefer neighbours nearby
        dist = np.linalg.norm(homes[civ] - homes[pi], axis=1)
        w = 1.0 / (dist + 3.0); w[civ == pi] = 0; w /= w.sum()
        for j in rng.choice(civ, size=min(k, len(civ) - 1), replace=False, p=w):
            if j > pi or rng.random() < 0.3:
                E(pi, int(j), act[pi] * act[j] ** 0.3 * rng.lognormal(-0.5, 0.8), rng.uniform(0.2, 0.8))
    pick = lambda k: [int(x) for x in rng.choice(civ, size=k, replace=False)]
    E(partner, seed, rng.uniform(1.0, 3.5), 0.5)
    E(partner, mother, rng.uniform(0.4, 1.5), 0.6)
    E(partner, sister, rng.uniform(0.3, 1.2), 0.5)
    E(mother, sister, rng.uniform(0.2, 0.8))
    for j in pick(int(rng.integers(4, 10))):
        E(partner, j, rng.lognormal(-1.2, 0.7))
    for j in pick(int(rng.integers(4, 12))):
        E(seed, j, rng.lognormal(-1.0, 0.8))
    E(seed, sister, rng.uniform(0.05, 0.3))
    couriers = [pi for pi in circle if persons[pi]["kind"] == "courier"]
    liaison = couriers[0]
    E(partner, liaison, rng.uniform(0.04, 0.15))  # background contact
    for i, a in enumerate(circle):
        for b in circle[i + 1:]:
            if rng.random() < 0.7:
                E(a, b, rng.uniform(0.15, 1.2))
        for j in pick(int(rng.integers(3, 9))):
            E(a, j, rng.lognormal(-1.3, 0.8))
    ea = np.array([e[0] for e in edges]); eb = np.array([e[1] for e in edges])
    er = np.array([e[2] for e in edges]); erec = np.array([e[3] for e in edges])
    dayf = np.where(dows == 6, rng.uniform(0.5, 0.75), np.where(dows == 5, rng.uniform(0.8, 1.0), 1.0))
    cnt = rng.poisson(er[:, None] * dayf[None, :])
    ei, di = np.nonzero(cnt)
    rep = cnt[ei, di]
    ei = np.repeat(ei, rep); di = np.repeat(di, rep)
    hourw = np.array([.3, .15, .08, .05, .05, .1, .4, 1, 1.6, 2, 2.2, 2.2, 2.1, 2, 1.9, 1.9, 2, 2.2, 2.4, 2.5, 2.3, 1.9, 1.3, .7])
    hourw /= hourw.sum()
    hr = rng.choice(24, size=len(ei), p=hourw)
    tmin = di * 1440 + hr * 60 + rng.uniform(0, 60, len(ei))
    fwd = rng.random(len(ei)) < erec[ei]
    A = np.where(fwd, ea[ei], eb[ei]); B = np.where(fwd, eb[ei], ea[ei])
    # special: partner <-> liaison on visit days (arranging the pickup), short calls / texts
    sp_t, sp_a, sp_b = [], [], []
    for n in visits:
        for _ in range(int(rng.integers(0, 4))):
            t = n * 1440 + rng.uniform(780, 1260)
            sp_t.append(t)
            if rng.random() < 0.5:
                sp_a.append(partner); sp_b.append(liaison)
            else:
                sp_a.append(liaison); sp_b.append(partner)
    # special: seed <-> partner around visit nights and other nights (same rate of chatter)
    for n in range(D):
        for _ in range(int(rng.poisson(0.8))):
            t = n * 1440 + rng.uniform(1080, 1400)
            sp_t.append(t); a, b = (seed, partner) if rng.random() < 0.5 else (partner, seed)
            sp_a.append(a); sp_b.append(b)
    tmin = np.concatenate([tmin, sp_t]); A = np.concatenate([A, sp_a]).astype(int); B = np.concatenate([B, sp_b]).astype(int)
    NE = len(tmin)
    chan_sms = rng.random(NE) < rng.uniform(0.07, 0.13)

    # positions at event times
    def pos_at(pids, t):
        out = np.empty((len(pids), 2))
        ti = np.clip(t.astype(int), 0, T - 1)
        hour = (ti // 60) % 24
        dw = dows[np.clip(ti // 1440, 0, D - 1)]
        at_work = employed[pids] & (dw < 5) & (hour >= 9) & (hour < 18) & (rng.random(len(pids)) < 0.85)
        out[:] = np.where(at_work[:, None], works[pids], homes[pids])
        wander = rng.random(len(pids)) < 0.15
        out[wander] += rng.normal(0, 2.0, (wander.sum(), 2))
        for pi, X in tracks.items():
            m = pids == pi
            if m.any():
                out[m] = X[ti[m]]
        gone = (ti >= away[pids, 0]) & (ti < away[pids, 1])
        out[gone] = np.nan
        return out

    PA = pos_at(A, tmin); PB = pos_at(B, tmin)
    okA = ~np.isnan(PA[:, 0]); okB = ~np.isnan(PB[:, 0])
    cA = np.full(NE, -1); cB = np.full(NE, -1)
    p_near = rng.uniform(0.5, 0.7)
    cA[okA] = W.serving(PA[okA], p_near); cB[okB] = W.serving(PB[okB], p_near)
    keep = (cA >= 0) & (cB >= 0)
    # number at time
    def numbers_for(pids, t):
        num = np.empty(len(pids), dtype=object); car = np.zeros(len(pids), int)
        for pi in np.unique(pids):
            m = np.nonzero(pids == pi)[0]
            S = sims[pi]
            if len(S) == 1:
                num[m] = S[0][0]; car[m] = S[0][4]; continue
            tt = t[m]
            W_ = np.array([[s[3] if (s[1] <= x < s[2]) else 0.0 for s in S] for x in tt])
            W_[W_.sum(1) == 0, -1] = 1.0
            c = np.cumsum(W_, 1) / W_.sum(1, keepdims=True)
            k = (c < rng.random(len(m))[:, None]).sum(1)
            num[m] = [S[j][0] for j in k]; car[m] = [S[j][4] for j in k]
        return num, car
    NA, carA = numbers_for(A, tmin); NB, _ = numbers_for(B, tmin)
    # durations
    dur = np.round(rng.lognormal(math.log(75), 1.05, NE)).astype(int)
    short = rng.random(NE) < rng.uniform(0.1, 0.2)
    dur[short] = rng.integers(1, 10, short.sum())
    dur[chan_sms] = 0
    # one-off noise numbers (call centres, wrong numbers) calling civilians
    idx = np.nonzero(keep)[0]
    # ---- sources
    owner = str(rng.choice(AGENCIES))
    ids = Ids(rng)
    sid_style = int(rng.integers(0, 3))
    n_h = int(rng.integers(3, 8))
    sid_list = ids.seq_style(8 + n_h, style=[0, 1, 3][sid_style])
    sid_list = [("SRC-" + s if sid_style == 0 else s) for s in rng.permutation(sid_list)]
    sources = []
    def rel_to():
        k = int(rng.integers(0, 3))
        return ";".join(sorted(set(rng.choice(PARTNERS, k, replace=False)) - {owner})) if k else ""
    zulu_pref = rng.random() < 0.35
    def src(disc, method, rel, zulu=None):
        sid = sid_list[len(sources)]
        z = (rng.random() < 0.3) if zulu is None else zulu
        sources.append(dict(source_id=sid, agency=owner if rng.random() < 0.85 else str(rng.choice(PARTNERS)),
                            discipline=disc, method=method, reliability=rel, releasable_to=rel_to(), _zulu=z))
        return len(sources) - 1
    s_cdr = [src("SIGINT", f"call detail records, carrier {c} (court order)", str(rng.choice(["A", "B"])), zulu=zulu_pref) for c in carriers]
    s_icpt = src("SIGINT", "lawful intercept of lead handset (content)", "A", zulu=False)
    s_geo = src("GEOINT", "carrier handset geolocation (network-based)", str(rng.choice(["A", "B"])))
    s_uav = src("IMINT", "UAV EO/IR low-altitude passes", "B")
    s_wide = src("IMINT", str(rng.choice(["wide-area satellite imagery", "manned aircraft IR orbit"])), str(rng.choice(["B", "C"])))
    s_osint = src("OSINT", "social media monitoring", str(rng.choice(["C", "D", "F"])))
    s_hum = []
    for i in range(n_h):
        s_hum.append(src("HUMINT", str(rng.choice(["recruited informant", "walk-in", "detained subject debrief", "community source", "partner-agency informant"])),
                         str(rng.choice(list("ABCDEF"), p=[0.05, 0.3, 0.3, 0.15, 0.08, 0.12])), zulu=False))
    src_zulu = [s["_zulu"] for s in sources]

    # ---- comms rows
    rows = []
    ev = idx
    Ssite_ll = np.stack(W.ll(W.sites), 1)
    chan = np.where(chan_sms[ev], "sms", "call")
    srcs = np.array([sources[s_cdr[c]]["source_id"] for c in carA[ev]])
    # intercept content for the seed lead's events
    is_seed = (A[ev] == seed) | (B[ev] == seed)
    contents = np.array([""] * len(ev), dtype=object)
    tmpl_generic = ["¿Qué onda, cómo estás?", "Ahorita te marco", "Sale pues", "Ya voy para allá", "Mañana nos vemos",
                    "No tengo saldo, márcame tú", "Ok", "Dile a tu mamá que gracias", "¿Dónde andas?", "Ando en el jale",
                    "Llego en un rato", "Pásame la dirección", "Jajaja", "Luego te cuento", "Ya llegué"]
    tmpl_visit = ["Hoy no me esperes, voy a ver a mi gordo", "Me voy con él otra vez, no le digas a nadie",
                  "Ya vinieron por mí", "Voy para el rancho, allá no agarra la señal", "Mañana temprano regreso"]
    tmpl_mom = ["Me quedo con mi mamá hoy", "Voy a dormir en casa de mi hermana", "Me quedo en el rancho de mi tía"]
    for k in np.nonzero(is_seed)[0]:
        if rng.random() < 0.55:
            day = int(tmin[ev[k]] // 1440)
            other = B[ev[k]] if A[ev[k]] == seed else A[ev[k]]
            if other == partner and nightplan[day] == "visit" and rng.random() < 0.35:
                contents[k] = str(rng.choice(tmpl_visit))
            elif other == partner and nightplan[day] in ("mother", "sister") and rng.random() < 0.4:
                contents[k] = str(rng.choice(tmpl_mom))
            elif other == partner and rng.random() < 0.06:
                contents[k] = str(rng.choice(tmpl_visit))  # red herring chatter
            else:
                contents[k] = str(rng.choice(tmpl_generic))
    srcs = np.where(is_seed & (contents != ""), sources[s_icpt]["source_id"], srcs)
    chan = np.where(is_seed & (contents != "") & (chan == "sms") & (rng.random(len(ev)) < 0.0), "message", chan)
    zs = np.array([src_zulu[[s["source_id"] for s in sources].index(x)] for x in srcs]) if len(srcs) else np.array([])
    tt = tmin[ev]
    t_off = fmt_times(tt, start_date, off_h, False); t_z = fmt_times(tt, start_date, off_h, True)
    la, lo = Ssite_ll[cA[ev]].T; lb, lob = Ssite_ll[cB[ev]].T
    # callee cell is only known when callee is on a carrier that shares records (~70%)
    callee_known = rng.random(len(ev)) < 0.7
    comm_rows = []
    for k in range(len(ev)):
        comm_rows.append([None, srcs[k], t_z[k] if zs[k] else t_off[k], int(dur[ev[k]]), chan[k], NA[ev[k]], NB[ev[k]],
                          f"{la[k]:.5f}", f"{lo[k]:.5f}",
                          f"{lb[k]:.5f}" if callee_known[k] else "", f"{lob[k]:.5f}" if callee_known[k] else "",
                          contents[k], tt[k]])
    # extra intercepted app messages (no cell info) between seed and partner
    for n in range(D):
        for _ in range(int(rng.poisson(1.2))):
            t = n * 1440 + rng.uniform(420, 1420)
            a, b = (seed, partner) if rng.random() < 0.5 else (partner, seed)
            if nightplan[n] == "visit" and rng.random() < 0.2:
                txt = str(rng.choice(tmpl_visit))
            else:
                txt = str(rng.choice(tmpl_generic))
            na, _ = numbers_for(np.array([a]), np.array([t])); nb, _ = numbers_for(np.array([b]), np.array([t]))
            comm_rows.append([None, sources[s_icpt]["source_id"], fmt_times([t], start_date, off_h, False)[0], 0, "message",
                              na[0], nb[0], "", "", "", "", txt, t])
    # one-off noise numbers
    noise_pool = [new_number(str(rng.choice(OTHER_CODES + [W.code] * 3))) for _ in range(int(rng.integers(8, 30)))]
    noise_w = rng.pareto(1.2, len(noise_pool)) + 0.2; noise_w /= noise_w.sum()
    for _ in range(int(NE * rng.uniform(0.01, 0.03))):
        t = rng.uniform(0, T); j = int(rng.choice(civ))
        p = pos_at(np.array([j]), np.array([t]))
        if np.isnan(p[0, 0]):
            continue
        c = W.serving(p, p_near)[0]
        if c < 0:
            continue
        nn = noise_pool[int(rng.choice(len(noise_pool), p=noise_w))]
        sj = sims[j][0][0]
        s = sources[s_cdr[sims[j][0][4]]]
        comm_rows.append([None, s["source_id"], fmt_times([t], start_date, off_h, s["_zulu"])[0], int(rng.integers(0, 60)),
                          "call", nn, sj, "", "", f"{Ssite_ll[c,0]:.5f}", f"{Ssite_ll[c,1]:.5f}", "", t])
    # random tie-break sort by time
    order = np.lexsort((rng.random(len(comm_rows)), np.array([r[-1] for r in comm_rows])))
    comm_rows = [comm_rows[i] for i in order]
    cids = ids.seq_style(len(comm_rows))
    for r, i in zip(comm_rows, cids):
        r[0] = i

    # ---- locations (tracked: seed lead + partner)
    nk = 12
    wl = rng.uniform(0.8, 5.0, nk)                     # wavelengths km
    th = rng.uniform(0, 2 * np.pi, nk)
    wv = np.stack([np.cos(th), np.sin(th)], 1) * (2 * np.pi / wl)[:, None]
    ph = rng.uniform(0, 2 * np.pi, (2, nk))
    amp = rng.uniform(0.25, 0.55) * math.sqrt(2.0 / nk)  # ~0.25-0.55 of the accuracy radius, per axis

    def bias_field(xy):
        a = xy @ wv.T
        return amp * np.stack([np.cos(a + ph[0]).sum(1), np.cos(a + ph[1]).sum(1)], 1)

    loc_rows = []
    for pid, PX in ((partner, PXp), (seed, PXs)):
        cad = rng.uniform(10, 20)
        steps = rng.normal(cad, 2.0, int(T / 8))
        steps = np.clip(steps, 4, None)
        tf = rng.uniform(0, cad) + np.cumsum(steps)
        tf = tf[tf < T - 1]
        # hourly periods
        for _ in range(int(rng.integers(0, 3))):
            a = rng.uniform(0, T); b = a + rng.uniform(1, 4) * 1440
            m = (tf >= a) & (tf < b)
            keepm = ~m | (np.floor(tf / 60) != np.floor(np.roll(tf, 1) / 60))
            tf = tf[keepm]
        # outages
        for _ in range(int(rng.integers(1, 6))):
            a = rng.uniform(0, T); b = a + rng.uniform(120, 840)
            tf = tf[(tf < a) | (tf >= b)]
        pos = PX[tf.astype(int)]
        ok = ~np.isnan(pos[:, 0])
        tf, pos = tf[ok], pos[ok]
        cov = W.covered(pos)
        tf, pos = tf[cov], pos[cov]
        dens = W.site_density(pos)
        acc = np.where(dens >= 6, rng.uniform(100, 450, len(tf)), rng.uniform(300, 1000, len(tf)))
        better = rng.random(len(tf)) < 0.07
        acc[better] = rng.uniform(20, 100, better.sum())
        sig = acc / 1.51 / 1000
        # network fixes are not independent: a spatially smooth systematic error (multipath / site geometry)
        # that stays put for a handset parked in one place, plus per-fix scatter
        bias = bias_field(pos) * np.clip(acc / 1000.0, 0.1, 1.0)[:, None]
        obs = pos + bias + rng.normal(0, 1, pos.shape) * (sig * 0.8)[:, None]
        # occasional outlier: fix snapped to the serving site
        outl = rng.random(len(tf)) < 0.02
        if outl.any():
            sv = W.serving(pos[outl], p_near)
            okv = sv >= 0
            o_idx = np.nonzero(outl)[0][okv]
            obs[o_idx] = W.sites[sv[okv]]
            acc[o_idx] = rng.uniform(800, 3000, len(o_idx))
        lat, lon = W.ll(obs)
        num = sims[pid][0][0]
        s = sources[s_geo]
        ts = fmt_times(tf, start_date, off_h, s["_zulu"])
        for k in range(len(tf)):
            loc_rows.append([None, s["source_id"], ts[k], num, f"{lat[k]:.6f}", f"{lon[k]:.6f}", f"{acc[k]:.0f}", tf[k]])
    order = np.lexsort((rng.random(len(loc_rows)), np.array([r[-1] for r in loc_rows])))
    loc_rows = [loc_rows[i] for i in order]
    for r, i in zip(loc_rows, ids.seq_style(len(loc_rows))):
        r[0] = i

    # ---- vehicles
    def plate():
        st = rng.integers(0, 3)
        L = lambda k: "".join(chr(65 + x) for x in rng.integers(0, 26, k))
        Dg = lambda k: "".join(str(x) for x in rng.integers(0, 10, k))
        return [f"{W.plate_st[0]}{L(2)}-{Dg(3)}-{L(1)}", f"{L(3)}-{Dg(2)}-{Dg(2)}", f"{W.plate_st}-{Dg(4)}-{L(1)}"][st]
    def vdesc():
        return str(rng.choice(VTYPES)), str(rng.choice(VCOLS))
    veh = {}  # owner -> (plate, type, colour)
    for pi in circle + [partner, seed]:
        veh[pi] = (plate(),) + vdesc()
    # site-resident vehicles
    all_sites = []  # (xy, kind, label)
    for h, a, b, k in hideouts:
        all_sites.append((h, "true", k))
    for p, k in decoys:
        all_sites.append((p, "decoy", k))
    for p, k in ranches:
        all_sites.append((p, "ranch", k))
    for p, k in innocent:
        all_sites.append((p, "innocent", k))
    resident = []
    for xy, kind, _ in all_sites:
        resident.append([(plate(),) + vdesc() for _ in range(int(rng.poisson(rng.lognormal(0.6, 0.8))))])
    # weak evidence: informant describes a vehicle type matching a decoy's residents, decoy gets person sightings
    weak_decoy = None
    descr_vehicle = None
    if has("weak_evidence"):
        weak_decoy = 1 + len(hideouts) - 1 + int(rng.integers(len(decoys)))  # index into all_sites
        if not resident[weak_decoy]:
            resident[weak_decoy].append((plate(),) + vdesc())
        descr_vehicle = resident[weak_decoy][0][1:]
    else:
        # description of a vehicle really at the compound (resident or a bodyguard's)
        if not resident[0]:
            resident[0].append((plate(),) + vdesc())
        descr_vehicle = resident[0][0][1:] if rng.random() < 0.7 else vdesc()

    # ---- entities
    estyle = int(rng.integers(0, 3))
    def eid_gen(n):
        if estyle == 0:
            return ["ent-" + h for h in ids.hex(n, 8)]
        if estyle == 1:
            return [f"P{v}" for v in rng.choice(np.arange(100000, 999999), n, replace=False)]
        return [h[:8] + "-" + h[8:12] for h in ids.hex(n, 12)]
    ent_ids = eid_gen(120)
    ei_ = iter(ent_ids)
    target_id = next(ei_)
    t_alias = str(rng.choice(ALIAS_T))
    p_alias = str(rng.choice(ALIAS_P))
    l_alias = {pi: a for pi, a in zip(circle, rng.choice(ALIAS_L, len(circle), replace=False))}
    entities = []
    tname = f"{rng.choice(FIRST_M)} {rng.choice(LAST)} {rng.choice(LAST)}"
    entities.append({"id": target_id, "schema": "Person", "properties": {"name": [tname], "alias": [t_alias], "birthDate": [str(1960 + int(rng.integers(0, 25)))]}})
    seed_eid = next(ei_)
    entities.append({"id": seed_eid, "schema": "Person", "properties": {"name": [persons[seed]["name"]], "phone": [sims[seed][0][0]]}})
    partner_in_ent = rng.random()
    partner_eid = None
    give_uses = rng.random() < 0.55
    if partner_in_ent < 0.6:
        partner_eid = next(ei_)
        props = {"name": [p_alias], "alias": [p_alias]}
        if give_uses and rng.random() < 0.3:
            props["phone"] = [sims[partner][0][0]]
        entities.append({"id": partner_eid, "schema": "Person", "properties": props})
        entities.append({"id": next(ei_), "schema": "Associate", "properties": {"person": [seed_eid], "associate": [partner_eid],
                         "relationship": [{"friend": "amigo", "cousin": "primo", "driver": "chofer"}[seed_role]]}})
        entities.append({"id": next(ei_), "schema": "Associate", "properties": {"person": [target_id], "associate": [partner_eid], "relationship": ["pareja"]}})
        if rng.random() < 0.5:
            entities.append({"id": next(ei_), "schema": "Vehicle", "properties": {"registrationNumber": [veh[partner][0]], "owner": [partner_eid],
                             "type": [veh[partner][1]], "color": [veh[partner][2]]}})
    circ_eid = {}
    for pi in circle:
        if rng.random() < 0.7:
            e = next(ei_); circ_eid[pi] = e
            props = {"name": [persons[pi]["name"]], "alias": [l_alias[pi]]}
            if rng.random() < 0.6:
                props["phone"] = [sims[pi][0][0]]
            entities.append({"id": e, "schema": "Person", "properties": props})
            entities.append({"id": next(ei_), "schema": "Associate", "properties": {"person": [target_id], "associate": [e], "relationship": ["subordinado"]}})
            if rng.random() < 0.65:
                entities.append({"id": next(ei_), "schema": "Vehicle", "properties": {"registrationNumber": [veh[pi][0]], "owner": [e],
                                 "type": [veh[pi][1]], "color": [veh[pi][2]]}})
    # addresses: truth, decoys, innocent (exact coords)
    named_pts = []
    addr_pool = [(hideouts[-1 if rng.random() < 0.5 else 0][0], "true")] if rng.random() < 0.4 else []
    addr_pool += [(p, "decoy") for p, _ in decoys if rng.random() < 0.5]
    addr_pool += [(p, "innocent") for p, _ in innocent if rng.random() < 0.5]
    addr_pool += [(p, "ranch") for p, _ in ranches if rng.random() < 0.3]
    for i in rng.permutation(len(addr_pool)):
        p, _ = addr_pool[i]
        named_pts.append(p)
        la_, lo_ = W.ll(p)
        tn = min(W.towns, key=lambda tw: np.linalg.norm(tw[1] - p))[0]
        entities.append({"id": next(ei_), "schema": "Address", "properties": {"full": [f"Predio rústico, municipio de {tn}, {W.state}"],
                         "latitude": [f"{float(la_):.5f}"], "longitude": [f"{float(lo_):.5f}"]}})

    # ---- reports
    rep_rows = []
    p_true_src = {s: rng.uniform(0.35, 0.9) for s in s_hum}
    good_srcs = [s for s in s_hum if sources[s]["reliability"] in "AB"] or s_hum[:1]

    def rtime(lo=0, hi=None):
        hi = T - 60 if hi is None else hi
        return rng.uniform(lo, hi)

    def fmt_num_text(n):
        if not n.startswith("+52"):
            return n
        d = n[3:]
        st = int(rng.integers(0, 4))
        if len(W.code) == 2 and d.startswith(W.code) or d[:2] in ("33", "55", "81"):
            a, b, c = d[:2], d[2:6], d[6:]
        else:
            a, b, c = d[:3], d[3:6], d[6:]
        return [f"{a} {b} {c}", f"({a}) {b} {c}", f"{a}-{b}-{c}", n][st]

    def loc_claim(xy, radius, subj, pred="located_near"):
        c = xy + rng.normal(0, radius / 1000 * 0.4 / 1.0, 2) * 1.0
        la_, lo_ = W.ll(c)
        cl = {"subject": subj, "predicate": pred, "lat": round(float(la_), 4), "lon": round(float(lo_), 4)}
        if pred == "located_near":
            cl["radius_m"] = int(radius)
        if rng.random() < 0.6:
            cl["valid_from"] = None  # filled with time
        return cl

    def town_name(xy):
        return min(W.towns, key=lambda tw: np.linalg.norm(tw[1] - xy))[0]

    def add_report(s, t, cred, text, claims):
        rep_rows.append(dict(source=s, t=t, cred=cred, text=text, claims=claims))

    cred_draw = lambda: int(rng.choice([1, 2, 3, 4, 5, 6], p=[0.06, 0.3, 0.32, 0.15, 0.07, 0.1]))
    A_T = f"alias:{p_alias}"
    # partner_of
    for _ in range(int(rng.integers(1, 4))):
        s = int(rng.choice(s_hum))
        add_report(s, rtime(0, T * 0.6), cred_draw(), f"{t_alias} tiene una novia a la que le dicen '{p_alias}', vive en {W.city}.",
                   [{"subject": target_id, "predicate": "partner_of", "object": A_T}])
    # a false partner alias now and then
    if rng.random() < 0.4:
        fa = str(rng.choice([a for a in ALIAS_P if a != p_alias]))
        add_report(int(rng.choice(s_hum)), rtime(), cred_draw(), f"{t_alias} anda con una muchacha que le dicen '{fa}'.",
                   [{"subject": target_id, "predicate": "partner_of", "object": f"alias:{fa}"}])
    # partner's phone
    if give_uses:
        for _ in range(int(rng.integers(1, 3))):
            nn = sims[partner][0][0]
            add_report(int(rng.choice(s_hum)), rtime(0, T * 0.7), cred_draw(), f"'{p_alias}' usa el número {fmt_num_text(nn)}.",
                       [{"subject": A_T, "predicate": "uses", "object": nn}])
        if rng.random() < 0.3:  # wrong number: her sister's
            nn = sims[sister][0][0]
            add_report(int(rng.choice(s_hum)), rtime(), cred_draw(), f"A '{p_alias}' se le puede localizar en el {fmt_num_text(nn)}.",
                       [{"subject": A_T, "predicate": "uses", "object": nn}])
    # seed lead link
    add_report(int(rng.choice(s_hum)), rtime(0, T * 0.3), cred_draw(),
               f"{persons[seed]['name'].split()[0]} es {dict(friend='amig', cousin='prim', driver='chofer')[seed_role]}{'' if seed_role == 'driver' else ('a' if persons[seed]['sex'] == 'F' else 'o')} de '{p_alias}' y la ve seguido.",
               [{"subject": sims[seed][0][0], "predicate": "associate_of", "object": A_T}])
    # lieutenants
    for pi in circle:
        if rng.random() < 0.6:
            nn = sims[pi][0][0] if (rng.random() < 0.7 or len(sims[pi]) == 1) else sims[pi][-1][0]
            la = f"alias:{l_alias[pi]}"
            add_report(int(rng.choice(s_hum)), rtime(), cred_draw(),
                       f"'{l_alias[pi]}' trabaja para {t_alias}; trae el {fmt_num_text(nn)}.",
                       [{"subject": la, "predicate": "works_for", "object": target_id}, {"subject": la, "predicate": "uses", "object": nn}])
    # vehicle description
    vt, vc = descr_vehicle
    add_report(int(rng.choice(s_hum)), rtime(0, T * 0.8), cred_draw(),
               f"La gente de {t_alias} se mueve en una {vt} {VCOLS_ES[vc]}.",
               [{"subject": target_id, "predicate": "uses", "object": f"vehicle:{vt}-{vc}"}])
    # location reports: true / decoy / planted / innocent, same templates
    loc_templates = ["{a} se está quedando por el rumbo de {town}.", "Dicen que {a} está escondido en un rancho cerca de {town}.",
                     "{a} duerme en una casa por {town}, casi no sale.", "Vieron camionetas de la gente de {a} entrando a un predio cerca de {town}."]
    def loc_report(xy, s, t, cred, pred="located_near", moved=False):
        named_pts.append(xy)
        rad = float(rng.choice([500, 1000, 2000, 3000, 5000, 10000, 15000, 20000]))
        cl = loc_claim(xy, rad, target_id, pred)
        if "valid_from" in cl:
            cl["valid_from"] = fmt_times([max(0, t - rng.uniform(0, 10) * 1440)], start_date, off_h, False)[0]
            if rng.random() < 0.3:
                cl["valid_to"] = fmt_times([t + rng.uniform(1, 20) * 1440], start_date, off_h, False)[0]
        txt = str(rng.choice(moved_templates if moved else loc_templates)).format(a=t_alias, town=town_name(xy))
        add_report(s, t, cred, txt, [cl])
    moved_templates = ["{a} se cambió de casa hace unos días, ahora está por {town}.", "Movieron a {a} a otro lugar, cerca de {town}."]
    if move_day is not None:  # someone hears about the move
        t = rng.uniform(hideouts[-1][1] + 720, T - 60)
        loc_report(hideouts[-1][0], int(rng.choice(s_hum)), t, cred_draw(), moved=True)
    elif rng.random() < 0.3:  # the same kind of rumour about a place that is not the hideout
        loc_report(decoys[int(rng.integers(len(decoys)))][0], int(rng.choice(s_hum)), rtime(T * 0.6), cred_draw(), moved=True)
    n_true = int(rng.integers(1, 4))
    for _ in range(n_true):
        s = int(rng.choice(s_hum)); t = rtime()
        loc_report(hideout_at(int(t)), s, t, cred_draw())
    for p, _ in decoys:
        for _ in range(int(rng.integers(0, 3 if has("decoy_safehouses") else 2))):
            loc_report(p, int(rng.choice(s_hum)), rtime(), cred_draw())
    for p, _ in innocent:
        if rng.random() < 0.5:
            loc_report(p, int(rng.choice(s_hum)), rtime(), cred_draw())
    planted = []
    if has("planted_reports"):
        tgt = decoys[int(rng.integers(len(decoys)))][0] if rng.random() < 0.6 else innocent[0][0]
        planted.append(tgt)
        for _ in range(int(rng.integers(2, 4))):
            loc_report(tgt, int(rng.choice(good_srcs)), rtime(T * 0.4), int(rng.choice([1, 2, 2, 3])), moved=rng.random() < 0.25)
    # partner visits (true or her mother's or a decoy)
    for _ in range(int(rng.integers(0, 3))):
        u = rng.random()
        xy = hideout_at(int(T * 0.5)) if u < 0.45 else (persons[mother]["home"] if u < 0.75 else decoys[0][0])
        la_, lo_ = W.ll(xy + rng.normal(0, 0.3, 2))
        named_pts.append(xy)
        add_report(int(rng.choice(s_hum)), rtime(), cred_draw(), f"'{p_alias}' va seguido a un lugar por {town_name(xy)}, llega de noche.",
                   [{"subject": A_T, "predicate": "visits", "lat": round(float(la_), 4), "lon": round(float(lo_), 4)}])
    # chatter without claims
    for _ in range(int(rng.integers(2, 7))):
        add_report(int(rng.choice(s_hum)), rtime(), cred_draw(), str(rng.choice([
            f"Hay movimiento de la gente de {t_alias} en {W.city}.", f"{t_alias} ya no usa teléfono, todo es por mensajeros.",
            "Cambiaron de números la semana pasada.", f"La gente dice que {t_alias} anda enfermo.",
            f"Se habla de una fiesta en {rng.choice([t[0] for t in W.towns])}."])), [])
    # OSINT
    if rng.random() < 0.5:
        add_report(s_osint, rtime(), 6, f"Publicación en redes muestra a '{p_alias}' en {W.city}.", [])
    rep_rows.sort(key=lambda r: r["t"])
    rids = ids.seq_style(len(rep_rows), style=int(rng.choice([0, 1, 2])))
    rep_lines = []
    for r, rid in zip(rep_rows, rids):
        obj = {"report_id": rid, "source_id": sources[r["source"]]["source_id"],
               "reported": fmt_times([r["t"]], start_date, off_h, sources[r["source"]]["_zulu"])[0],
               "credibility": r["cred"], "text": r["text"]}
        if r["claims"]:
            obj["claims"] = r["claims"]
        rep_lines.append(json.dumps(obj, ensure_ascii=False))

    # ---- aerial passes: candidate sites with the same inclusion probability and pass distribution for every kind
    p_incl = rng.uniform(0.45, 0.8)
    lam_pass = rng.uniform(2.0, 6.0)
    p_night = rng.uniform(0.25, 0.5)
    sig_rows = []
    sub_person = None  # filled with target entity id later
    person_hits = []
    movers = {pi: Xl[pi] for pi in circle}
    movers[partner] = Xp
    movers[seed] = Xs
    site_busy = rng.lognormal(-0.3, 0.9, len(all_sites))  # how busy each place is (ranch hands, visitors)
    for si, (xy, kind, label) in enumerate(all_sites):
        named = any(np.linalg.norm(xy - q) < 0.5 for q in named_pts)
        if rng.random() >= (min(0.95, p_incl + 0.25) if named else p_incl):
            continue
        npass = rng.poisson(lam_pass)
        for _ in range(npass):
            night = rng.random() < p_night
            day = int(rng.integers(0, D))
            hh = rng.uniform(20, 29) if night else rng.uniform(7.5, 18)
            t = day * 1440 + hh * 60
            if t >= T - 1:
                continue
            uav = rng.random() < 0.6
            platform = s_uav if uav else s_wide
            readable = uav and not night
            vis = [v for v in resident[si] if rng.random() < 0.8]
            vis += [(plate(),) + vdesc() for _ in range(int(rng.poisson(site_busy[si])))]  # passers-by, workers, visitors
            for pi, X in movers.items():
                if np.linalg.norm(X[int(t)] - xy) < 0.3 and pi in veh:
                    # partner's car is only there if she drove herself
                    if pi == partner and driven.get(int((t - 720) // 1440), False):
                        continue
                    vis.append(veh[pi])
            for v in vis:
                if rng.random() > 0.75:
                    continue
                if readable:
                    pl = v[0]
                    if rng.random() < 0.1:
                        j = int(rng.integers(len(pl)))
                        pl = pl[:j] + ("8" if pl[j] != "8" else "B") + pl[j + 1:]
                    conf = float(np.clip(rng.normal(0.78, 0.12), 0.35, 0.99))
                    subj = "plate:" + pl
                    note = f"{v[1]} {v[2]}"
                else:
                    conf = float(np.clip(rng.normal(0.65, 0.15), 0.25, 0.95))
                    subj = f"vehicle:{v[1]}-{v[2]}"
                    note = "plate not readable" + (" (IR)" if night else "")
                jit = rng.normal(0, 0.03, 2)
                sig_rows.append([si, platform, t + rng.uniform(0, 3), xy + jit, subj, conf, note])
            # person detections: target sometimes at the true site; decoys sometimes (false), weak-evidence decoy often
            hid_now = hideout_at(int(t))
            p_person = 0.0
            if np.linalg.norm(hid_now - xy) < 0.3:
                p_person = 0.12
            elif si == weak_decoy:
                p_person = 0.45
            elif kind in ("decoy", "ranch"):
                p_person = 0.06
            if rng.random() < p_person:
                sig_rows.append([si, platform, t + rng.uniform(0, 3), xy + rng.normal(0, 0.03, 2), "@TARGET",
                                 float(rng.uniform(0.2, 0.5)), str(rng.choice(["adult male, build consistent", "possible match, partial face", "male figure near vehicle", "silhouette, IR"]))])
            if rng.random() < 0.3:
                sig_rows.append([si, platform, t + rng.uniform(0, 3), xy + rng.normal(0, 0.03, 2), "person:unidentified",
                                 float(rng.uniform(0.4, 0.9)), str(rng.choice(["{} persons outdoors", "{} personas en el patio", "{} figures near buildings"])).format(int(rng.integers(1, 5)))])

    # sightings rows finalise
    sig_rows.sort(key=lambda r: r[2])
    sid2 = ids.seq_style(len(sig_rows))
    sig_out = []
    for r, i in zip(sig_rows, sid2):
        si, platform, t, xy, subj, conf, note = r
        la_, lo_ = W.ll(xy)
        if subj == "@TARGET":
            subj = target_id
        s = sources[platform]
        sig_out.append([i, s["source_id"], fmt_times([t], start_date, off_h, s["_zulu"])[0], f"{float(la_):.6f}", f"{float(lo_):.6f}",
                        subj, f"{conf:.2f}", note])

    # ---- write
    os.makedirs(out_dir, exist_ok=True)
    cid_words = ["op", "exp", "carp", "inv", "c"]
    case_id = f"{rng.choice(cid_words)}-{ids.hex(1, 6)[0]}"
    auth = str(rng.choice(["Orden judicial federal {n}/{y}", "Autorización juez de control {n}/{y}", "Federal court order {n}/{y}",
                           "CNPP art. 291 autorización {n}/{y}"])).format(n=int(rng.integers(10, 999)), y=start_date[:4])
    with open(os.path.join(out_dir, "case.toml"), "w") as f:
        f.write(f'[case]\nid = "{case_id}"\ntitle = "Localización de {tname.split()[1].upper()} ({t_alias})"\n'
                f'owner_agency = "{owner}"\nlegal_authority = "{auth}"\ntimezone = "{W.tz}"\n\n[[targets]]\nentity_id = "{target_id}"\n')
    with open(os.path.join(out_dir, "sources.csv"), "w", newline="") as f:
        w = csv.writer(f); w.writerow(["source_id", "agency", "discipline", "method", "reliability", "releasable_to"])
        for s in rng.permutation(len(sources)):
            s = sources[s]
            w.writerow([s["source_id"], s["agency"], s["discipline"], s["method"], s["reliability"], s["releasable_to"]])
    with open(os.path.join(out_dir, "comms.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["event_id", "source_id", "start", "duration_s", "channel", "caller", "callee", "caller_lat", "caller_lon",
                    "callee_lat", "callee_lon", "content"])
        for r in comm_rows:
            w.writerow(r[:-1])
    with open(os.path.join(out_dir, "locations.csv"), "w", newline="") as f:
        w = csv.writer(f); w.writerow(["event_id", "source_id", "observed", "identifier", "lat", "lon", "accuracy_m"])
        for r in loc_rows:
            w.writerow(r[:-1])
    with open(os.path.join(out_dir, "sightings.csv"), "w", newline="") as f:
        w = csv.writer(f); w.writerow(["event_id", "source_id", "observed", "lat", "lon", "subject", "confidence", "note"])
        for r in sig_out:
            w.writerow(r)
    with open(os.path.join(out_dir, "reports.jsonl"), "w") as f:
        f.write("\n".join(rep_lines) + "\n")
    ent_order = rng.permutation(len(entities))
    with open(os.path.join(out_dir, "entities.jsonl"), "w") as f:
        f.write("\n".join(json.dumps(entities[i], ensure_ascii=False) for i in ent_order) + "\n")

    def llp(xy):
        a, b = W.ll(xy); return {"lat": round(float(a), 6), "lon": round(float(b), 6)}
    def iso(m):
        return fmt_times([m], start_date, off_h, False)[0]
    truth = {
        "target_entity_id": target_id,
        "hideouts": [dict(**llp(h), **{"from": iso(a), "to": iso(b), "kind": k, "covered": bool(W.covered(h)[0])}) for h, a, b, k in hideouts],
        "final": llp(hideouts[-1][0]),
        "partner_phone": sims[partner][0][0],
        "partner_alias": p_alias,
        "seed_lead_phone": sims[seed][0][0],
        "seed_role": seed_role,
        "difficulty": difficulty,
        "traits": traits,
        "decoys": [dict(**llp(p), kind=k) for p, k in decoys] + [dict(**llp(p), kind="planted-named") for p in planted]
                  + [dict(**llp(p), kind="weak-evidence") for p in ([all_sites[weak_decoy][0]] if weak_decoy is not None else [])],
        "partner_home": llp(persons[partner]["home"]),
        "partner_mother": llp(persons[mother]["home"]),
        "partner_sister": llp(persons[sister]["home"]),
        "visit_nights": [iso(n * 1440) [:10] for n in visits],
        "visit_phone_mode": {iso(n * 1440)[:10]: visit_mode[n] for n in visits},
        "circle_phones": {l_alias[pi]: [s[0] for s in sims[pi]] for pi in circle},
        "circle_roles": {l_alias[pi]: persons[pi]["kind"] for pi in circle},
        "burner_successions": [{"old": s["old"], "new": s["new"], "at": iso(s["at_min"])} for s in successions],
        "region": f"{W.city}, {W.state}",
        "days": D, "phones": int(sum(len(s) for s in sims)),
        "gen_seconds": round(time.time() - t_start, 2),
    }
    with open(os.path.join(out_dir, "truth.json"), "w") as f:
        json.dump(truth, f, ensure_ascii=False, indent=1)
    return truth


def parse_seeds(s):
    out = []
    for part in s.split(","):
        if "-" in part:
            a, b = part.split("-"); out += list(range(int(a), int(b) + 1))
        else:
            out.append(int(part))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out", nargs="?")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--difficulty", default="normal", choices=["easy", "normal", "hard"])
    ap.add_argument("--batch")
    ap.add_argument("--seeds", default="0-9")
    ap.add_argument("--difficulties", default="easy,normal,hard")
    a = ap.parse_args()
    if a.batch:
        for diff in a.difficulties.split(","):
            for s in parse_seeds(a.seeds):
                t0 = time.time()
                tr = generate(os.path.join(a.batch, f"{diff}-{s}"), s, diff)
                print(f"{diff}-{s}: {time.time()-t0:.1f}s traits={tr['traits']} region={tr['region']} days={tr['days']}", flush=True)
    elif a.out:
        generate(a.out, a.seed, a.difficulty)
    else:
        ap.error("OUT_DIR or --batch required")


if __name__ == "__main__":
    main()
