// Map pane (MapLibre GL): offline basemap, places, stays, tracks, sightings, meetings,
// locate's hypotheses and areas, and the cell sites' coverage (where we are blind).
import * as maplibregl from "maplibre-gl";
import "maplibre-gl/dist/maplibre-gl.css";
import { FileSource, PMTiles, Protocol } from "pmtiles";
import { pct } from "./panels.js";

maplibregl.setWorkerUrl("/static/maplibre-gl-worker.mjs");
const protocol = new Protocol();
maplibregl.addProtocol("pmtiles", protocol.tile);

/** A polygon approximating a circle of `r` metres around (lon, lat). */
export function circle(lon, lat, r, n = 48) {
  const ring = [];
  const dLat = r / 111320;
  const dLon = r / (111320 * Math.cos((lat * Math.PI) / 180));
  for (let i = 0; i <= n; i++) {
    const a = (2 * Math.PI * i) / n;
    ring.push([lon + dLon * Math.cos(a), lat + dLat * Math.sin(a)]);
  }
  return { type: "Polygon", coordinates: [ring] };
}

const fc = (features) => ({ type: "FeatureCollection", features });
const pt = (lon, lat, props) => ({ type: "Feature", geometry: { type: "Point", coordinates: [lon, lat] }, properties: props });
const ms = (s) => (s ? Date.parse(s) : null);
const NONE = ["literal", ["\u0000"]];

const STYLE = {
  version: 8,
  sources: {
    land: { type: "geojson", data: "/static/basemap-land.json" },
    borders: { type: "geojson", data: "/static/basemap-borders.json" },
  },
  layers: [
    { id: "sea", type: "background", paint: { "background-color": "#d0dde8" } },
    { id: "land", type: "fill", source: "land", paint: { "fill-color": "#e9e6df" } },
    { id: "borders", type: "line", source: "borders", paint: { "line-color": "#9a8f7e", "line-width": 1, "line-dasharray": [3, 2] } },
  ],
};

// layers that a time window filters, with the properties holding their times
const TIMED = { stays: ["t0", "t1"], "stays-hl": ["t0", "t1"], sightings: ["t0", "t1"], meetings: ["t0", "t1"],
  "meetings-hl": ["t0", "t1"], "sightings-hl": ["t0", "t1"] };

export class MapPane {
  constructor(el, onSelect) {
    this.el = el;
    this.onSelect = onSelect;
    this.ids = [];
    this.window = null;
    this.markers = [];
    this.ready = new Promise((resolve) => {
      try {
        this.map = new maplibregl.Map({ container: el, style: STYLE, center: [-102.5, 23.5], zoom: 4,
          attributionControl: false, maxPitch: 0, dragRotate: false, fadeDuration: 0 });
        this.map.addControl(new maplibregl.NavigationControl({ showCompass: false }), "top-right");
        this.map.addControl(new maplibregl.ScaleControl({ unit: "metric" }), "bottom-left");
        this.map.on("load", () => resolve(true));
        this.map.on("error", (e) => console.warn("map:", e.error?.message || e));
      } catch (err) {
        el.innerHTML = `<p class="error">The map needs WebGL, which this browser does not offer (${err.message}).</p>`;
        resolve(false);
      }
    });
  }

  async load(scene) {
    this.scene = scene;
    if (!(await this.ready)) return;
    const m = this.map;
    const data = this.geojson(scene);
    for (const [name, d] of Object.entries(data)) {
      if (m.getSource(name)) m.getSource(name).setData(d); else m.addSource(name, { type: "geojson", data: d });
    }
    if (!m.getLayer("coverage")) this.addLayers();
    this.addHypothesisMarkers(scene);
    this.fit(scene);
    this.refresh();
  }

  geojson(s) {
    const colour = {};
    const palette = ["#1971c2", "#2b8a3e", "#ae3ec9", "#e67700", "#0c8599", "#5f3dc4"];
    s.subjects.forEach((id, i) => { colour[id] = palette[i % palette.length]; });
    return {
      coverage: fc(s.coverage.map((c) => ({ type: "Feature", geometry: circle(c.lon, c.lat, c.range_m, 32), properties: { range_m: c.range_m } }))),
      sites: fc(s.coverage.map((c) => pt(c.lon, c.lat, { range_m: c.range_m }))),
      areas: fc(s.areas.map((a) => ({ type: "Feature", geometry: circle(a.lon, a.lat, a.radius_m),
        properties: { kind: "area", id: `a${a.rank}`, p: a.probability, hyps: a.hypotheses } }))),
      hypotheses: fc(s.hypotheses.map((h) => ({ type: "Feature", geometry: circle(h.lon, h.lat, Math.max(h.radius_m, 150)),
        properties: { kind: "hypothesis", id: h.id, p: h.probability, rank: h.rank } }))),
      places: fc(s.places.map((p) => pt(p.lon, p.lat, { kind: "place", id: p.place_id, label: p.label, n: p.n_visits,
        remote: p.remote, ids: p.visitors || [] }))),
      tracks: fc(s.tracks.map((t) => ({ type: "Feature", geometry: { type: "LineString", coordinates: t.coords },
        properties: { kind: "track", identifier: t.identifier, ids: [t.identifier], colour: colour[t.identifier] || "#1971c2" } }))),
      stays: fc(s.stays.map((v) => pt(v.lon, v.lat, { kind: "stay", id: v.id, identifier: v.identifier, ids: [v.identifier],
        t0: ms(v.start), t1: ms(v.end), overnight: v.overnight, colour: colour[v.identifier] || "#1971c2" }))),
      sightings: fc(s.sightings.map((g) => pt(g.lon, g.lat, { kind: "sighting", id: g.id, identifier: g.subject, ids: [g.subject],
        t0: ms(g.observed), t1: ms(g.observed) }))),
      meetings: fc(s.meetings.map((g) => pt(g.lon, g.lat, { kind: "meeting", id: g.id, ids: [g.id_a, g.id_b], identifier: g.id_a,
        other: g.id_b, t0: ms(g.start), t1: ms(g.end), p: g.p }))),
    };
  }

  addLayers() {
    const m = this.map;
    const add = (layer) => m.addLayer(layer);
    add({ id: "coverage", type: "fill", source: "coverage", paint: { "fill-color": "#8ce99a", "fill-opacity": 0.22 } });
    add({ id: "sites", type: "circle", source: "sites", paint: { "circle-radius": 1.5, "circle-color": "#2b8a3e" } });
    add({ id: "areas", type: "fill", source: "areas", paint: { "fill-color": "#f03e3e", "fill-opacity": ["*", 0.35, ["get", "p"]] } });
    add({ id: "areas-line", type: "line", source: "areas", paint: { "line-color": "#c92a2a", "line-width": 1, "line-dasharray": [2, 2] } });
    add({ id: "hypotheses", type: "fill", source: "hypotheses",
      paint: { "fill-color": "#e03131", "fill-opacity": ["+", 0.1, ["*", 0.6, ["get", "p"]]] } });
    add({ id: "hypotheses-line", type: "line", source: "hypotheses", paint: { "line-color": "#c92a2a", "line-width": 1.5 } });
    add({ id: "tracks", type: "line", source: "tracks", paint: { "line-color": ["get", "colour"], "line-width": 1, "line-opacity": 0.45 } });
    add({ id: "tracks-hl", type: "line", source: "tracks", filter: ["in", ["get", "identifier"], NONE],
      paint: { "line-color": "#f59f00", "line-width": 3 } });
    add({ id: "places", type: "circle", source: "places", paint: {
      "circle-radius": ["interpolate", ["linear"], ["get", "n"], 1, 3, 20, 9], "circle-color": "#fff",
      "circle-stroke-color": ["match", ["get", "label"], "home", "#1971c2", "work", "#2b8a3e", "#495057"],
      "circle-stroke-width": ["case", ["get", "remote"], 3, 1.5] } });
    add({ id: "stays", type: "circle", source: "stays", paint: { "circle-radius": 3.5, "circle-color": ["get", "colour"],
      "circle-opacity": 0.7, "circle-stroke-color": "#fff", "circle-stroke-width": ["case", ["get", "overnight"], 1.5, 0] } });
    add({ id: "stays-hl", type: "circle", source: "stays", filter: ["in", ["get", "identifier"], NONE],
      paint: { "circle-radius": 6, "circle-color": "#fcc419", "circle-stroke-color": "#e67700", "circle-stroke-width": 2 } });
    add({ id: "meetings", type: "circle", source: "meetings", paint: { "circle-radius": 6, "circle-color": "#d9480f",
      "circle-opacity": ["+", 0.3, ["get", "p"]], "circle-stroke-color": "#fff", "circle-stroke-width": 1 } });
    add({ id: "meetings-hl", type: "circle", source: "meetings", filter: ["in", ["get", "identifier"], NONE],
      paint: { "circle-radius": 9, "circle-color": "#fcc419", "circle-stroke-color": "#d9480f", "circle-stroke-width": 3 } });
    add({ id: "sightings", type: "circle", source: "sightings", paint: { "circle-radius": 5, "circle-color": "#7048e8",
      "circle-stroke-color": "#fff", "circle-stroke-width": 1.5 } });
    add({ id: "sightings-hl", type: "circle", source: "sightings", filter: ["in", ["get", "identifier"], NONE],
      paint: { "circle-radius": 8, "circle-color": "#fcc419", "circle-stroke-color": "#7048e8", "circle-stroke-width": 3 } });
    for (const id of ["places", "stays", "meetings", "sightings", "hypotheses", "areas"]) {
      m.on("click", id, (e) => { const f = e.features[0]; if (f) this.onSelect({ source: "map", feature: f.properties }); });
      m.on("mouseenter", id, () => { m.getCanvas().style.cursor = "pointer"; });
      m.on("mouseleave", id, () => { m.getCanvas().style.cursor = ""; });
    }
  }

  addHypothesisMarkers(scene) {
    for (const mk of this.markers) mk.remove();
    this.markers = scene.hypotheses.map((h) => {
      const el = document.createElement("button");
      el.className = "hyp-marker";
      el.dataset.hyp = h.id;
      el.textContent = `H${h.rank} ${pct(h.probability)}`;
      el.title = `Hypothesis ${h.rank}: ${h.label}, p = ${h.probability}; click for its evidence`;
      el.addEventListener("click", (ev) => { ev.stopPropagation(); this.onSelect({ source: "map", hypothesis: h.id }); });
      return new maplibregl.Marker({ element: el, anchor: "bottom" }).setLngLat([h.lon, h.lat]).addTo(this.map);
    });
  }

  fit(scene) {
    const pts = [...scene.stays, ...scene.hypotheses, ...scene.sightings, ...scene.places];
    if (!pts.length) return;
    const lons = pts.map((p) => p.lon), lats = pts.map((p) => p.lat);
    this.map.fitBounds([[Math.min(...lons), Math.min(...lats)], [Math.max(...lons), Math.max(...lats)]],
      { padding: { top: 60, bottom: 40, left: 40, right: 60 }, animate: false, maxZoom: 13 }); // clear of legend and zoom
  }

  /** Highlight what belongs to any of `ids` (identifiers); returns how many features are highlighted. */
  highlight(ids) { this.ids = [...ids]; return this.refresh(); }

  setWindow(win) { this.window = win; return this.refresh(); }

  refresh() {
    const m = this.map;
    const s = this.scene;
    if (!m || !s || !m.getLayer("coverage")) return 0;
    const hlIds = ["literal", this.ids.length ? this.ids : ["\u0000"]];
    const hlFilter = (layer) => (layer === "meetings-hl"
      ? ["any", ["in", ["get", "identifier"], hlIds], ["in", ["get", "other"], hlIds]]
      : ["in", ["get", "identifier"], hlIds]);
    for (const layer of ["stays", "stays-hl", "meetings", "meetings-hl", "sightings", "sightings-hl", "tracks-hl"]) {
      const parts = [];
      if (layer.endsWith("-hl")) parts.push(hlFilter(layer));
      if (this.window && TIMED[layer]) {
        const [a, b] = TIMED[layer];
        parts.push(["<=", ["get", a], this.window[1]], [">=", ["get", b], this.window[0]]);
      }
      m.setFilter(layer, parts.length ? ["all", ...parts] : null);
    }
    const n = this.countHighlighted();
    this.el.dataset.highlighted = String(n);
    return n;
  }

  /** Features highlighted now (computed from the data, the same rule as the layer filters). */
  countHighlighted() {
    const s = this.scene, want = new Set(this.ids), w = this.window;
    if (!s || !want.size) return 0;
    const inWin = (t0, t1) => !w || (ms(t0) <= w[1] && ms(t1) >= w[0]);
    return s.stays.filter((v) => want.has(v.identifier) && inWin(v.start, v.end)).length
      + s.meetings.filter((g) => (want.has(g.id_a) || want.has(g.id_b)) && inWin(g.start, g.end)).length
      + s.sightings.filter((g) => want.has(g.subject) && inWin(g.observed, g.observed)).length
      + s.tracks.filter((t) => want.has(t.identifier)).length;
  }

  visibleCounts() {
    const s = this.scene, w = this.window;
    if (!s) return {};
    const inWin = (t0, t1) => !w || (ms(t0) <= w[1] && ms(t1) >= w[0]);
    return { stays: s.stays.filter((v) => inWin(v.start, v.end)).length,
      meetings: s.meetings.filter((g) => inWin(g.start, g.end)).length,
      sightings: s.sightings.filter((g) => inWin(g.observed, g.observed)).length };
  }

  flyTo(lon, lat, zoom = 12) { if (this.map) this.map.flyTo({ center: [lon, lat], zoom, duration: 400 }); }

  /** Detail from the user's own .pmtiles file (read locally in the browser; nothing is fetched). */
  async addPmtiles(file) {
    const p = new PMTiles(new FileSource(file));
    protocol.add(p);
    const h = await p.getHeader();
    const url = `pmtiles://${file.name}`;
    const m = this.map;
    const before = "coverage";
    if (h.tileType === 1) {
      const meta = await p.getMetadata();
      m.addSource("user", { type: "vector", url });
      for (const vl of meta.vector_layers || []) {
        m.addLayer({ id: `user-${vl.id}-fill`, type: "fill", source: "user", "source-layer": vl.id,
          filter: ["==", ["geometry-type"], "Polygon"], paint: { "fill-color": /water|ocean|lake/.test(vl.id) ? "#c5d6e6" : "#e3ded3", "fill-opacity": 0.6 } }, before);
        m.addLayer({ id: `user-${vl.id}-line`, type: "line", source: "user", "source-layer": vl.id,
          filter: ["==", ["geometry-type"], "LineString"], paint: { "line-color": "#b3a89a", "line-width": 0.7 } }, before);
      }
    } else {
      m.addSource("user", { type: "raster", url, tileSize: 256 });
      m.addLayer({ id: "user-raster", type: "raster", source: "user" }, before);
    }
    return h;
  }
}
