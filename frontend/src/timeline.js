// Timeline pane (vis-timeline): stays, dark intervals, meetings, sightings, locate's time windows.
// A time window (the two draggable bars, or the form above) filters the graph and the map.
import { DataSet, Timeline, moment } from "vis-timeline/standalone";
import "../node_modules/vis-timeline/styles/vis-timeline-graph2d.min.css";

const esc = (s) => String(s ?? "").replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const utc = (t) => (t ? new Date(t).toISOString().slice(0, 16).replace("T", " ") + " UTC" : "");
const span = (a, b) => (b && b !== a ? `${utc(a)} – ${utc(b)}` : utc(a));

export class TimelinePane {
  constructor(el, onSelect, onWindow) {
    this.el = el;
    this.onSelect = onSelect;
    this.onWindow = onWindow;
    this.items = new DataSet();
    this.groups = new DataSet();
    this.window = null;
    this.tl = new Timeline(el, this.items, this.groups, {
      stack: true, maxHeight: "100%", height: "100%", zoomKey: "ctrlKey", horizontalScroll: true,
      orientation: { axis: "top", item: "top" }, margin: { item: 2 }, selectable: true, multiselect: true,
      tooltip: { followMouse: true, overflowMethod: "cap" }, showCurrentTime: false, verticalScroll: true,
      groupHeightMode: "fixed",
      moment: (d) => moment(d).utc(), // the axis and every label in UTC, as the rest of the page
    });
    this.tl.on("select", ({ items }) => {
      if (!items.length) { this.onSelect(null); return; }
      const it = this.items.get(items[0]);
      this.onSelect({ source: "timeline", item: it });
    });
    this.tl.on("timechanged", () => this.emitWindow());
    // an empty timeline says why, instead of a blank grid
    this.empty = document.createElement("p");
    this.empty.className = "tl-empty muted";
    this.empty.hidden = true;
    el.parentElement.appendChild(this.empty);
  }

  /** Show `text` over the timeline when it has no item at all. */
  sayWhenEmpty(text) {
    const none = this.items.length === 0;
    this.empty.hidden = !none;
    this.empty.textContent = none ? text : "";
    this.el.dataset.empty = none ? "1" : "0";
  }

  load(scene, emptyText = "Nothing to show: no stays, dark intervals, meetings, sightings or time windows in this case.") {
    const items = [];
    const groups = [];
    // a row per phone, named by whose it is (resolve's attribution) with the number's last digits; the whole
    // number in the row's tooltip
    const names = new Map((scene.names || []).map((n) => [n.identifier, n.name]));
    const who = (id) => (names.has(id) ? `${names.get(id)} (${id})` : id);
    for (const id of scene.subjects) {
      const name = names.get(id);
      groups.push({ id, order: 10, title: who(id),
        // a phone by its last digits; a vehicle (a tracker on it) by its whole plate
        content: name ? `${esc(name)} <span class="tl-num">${String(id).startsWith("plate:") ? esc(String(id).slice(6))
          : "…" + esc(String(id).slice(-4))}</span>` : esc(id) });
    }
    groups.push({ id: "meetings", content: "meetings", order: 1 }, { id: "sightings", content: "sightings", order: 2 },
      { id: "locate", content: "where is he", order: 0 });
    for (const v of scene.stays) {
      items.push({ id: `stay:${v.id}`, group: v.identifier, start: v.start, end: v.end, ids: [v.identifier],
        className: `stay${v.overnight ? " night" : ""}${v.anomaly ? " anomaly" : ""}`, content: "",
        label: `${who(v.identifier)} at ${v.place_id || "a stay"}${v.overnight ? " (overnight)" : ""}`,
        title: `${esc(who(v.identifier))} at ${esc(v.place_id || "a stay")}${v.overnight ? " (overnight)" : ""}, ${span(v.start, v.end)}`, lon: v.lon, lat: v.lat });
    }
    for (const d of scene.dark) {
      items.push({ id: `dark:${d.id}`, group: d.identifier, start: d.start, end: d.end, ids: [d.identifier], className: "dark",
        label: `${who(d.identifier)} dark (off or out of coverage) for ${Math.round(d.duration_s / 3600)} h`,
        content: "", title: `${esc(who(d.identifier))} dark (off or out of coverage) for ${Math.round(d.duration_s / 3600)} h, ${span(d.start, d.end)}`, lon: d.lon, lat: d.lat });
    }
    for (const g of scene.meetings) {
      items.push({ id: `meeting:${g.id}`, group: "meetings", start: g.start, end: g.end, ids: [g.id_a, g.id_b], className: "meeting",
        label: `${who(g.id_a)} met ${who(g.id_b)} (p ${g.p})`,
        content: "", title: `${esc(who(g.id_a))} met ${esc(who(g.id_b))} (p ${g.p}, ${esc(g.source)}), ${span(g.start, g.end)}`, lon: g.lon, lat: g.lat });
    }
    for (const g of scene.sightings) {
      items.push({ id: `sighting:${g.id}`, group: "sightings", start: g.observed, type: "point", ids: [g.subject], label: `${g.subject} seen`,
        className: "sighting", content: "", title: `${esc(g.subject)} seen (${esc(g.note || "")}), ${utc(g.observed)}`, lon: g.lon, lat: g.lat });
    }
    // one item per distinct window, naming every hypothesis it supports (they often share the partner's nights)
    const windows = new Map();
    for (const h of scene.hypotheses) {
      for (const w of h.windows || []) {
        const key = `${w.from}|${w.to}`;
        if (!windows.has(key)) windows.set(key, { w, hyps: [] });
        windows.get(key).hyps.push(h);
      }
    }
    [...windows.values()].forEach(({ w, hyps }, i) => items.push({ id: `hyp:${i}`, group: "locate", start: w.from, end: w.to,
      ids: [], hyps: hyps.map((h) => h.id), className: "hyp", content: hyps.map((h) => `H${h.rank}`).join(" "),
      title: `A window when he was at ${hyps.map((h) => `H${h.rank}`).join(", ")}, ${span(w.from, w.to)}`, lon: hyps[0].lon, lat: hyps[0].lat }));
    if (this.alerts) groups.push({ id: "alerts", content: "alerts", order: 20 });
    this.groups.clear(); this.groups.add(groups.filter((g) => g.id === "locate" || g.id === "meetings" || g.id === "sightings"
      || g.id === "alerts" || items.some((it) => it.group === g.id)));
    this.items.clear(); this.items.add([...items, ...this.alertItems()]);
    this.period = [Date.parse(scene.period.start), Date.parse(scene.period.end)];
    if (this.period.every(Number.isFinite)) this.tl.setWindow(this.period[0], this.period[1], { animation: false });
    this.emptyText = emptyText;
    this.sayWhenEmpty(emptyText);
  }

  /** The standing watches' alerts as a row of their own (each spans the rows that fired it). */
  addAlerts(alerts) {
    this.alerts = alerts;
    this.items.remove(this.items.getIds({ filter: (it) => it.group === "alerts" }));
    if (!this.groups.get("alerts")) this.groups.add({ id: "alerts", content: "alerts", order: 20 });
    this.items.add(this.alertItems());
    if (this.emptyText) this.sayWhenEmpty(this.emptyText);
  }

  alertItems() {
    return (this.alerts || []).map((a) => {
      const point = !a.last_t || a.last_t === a.first_t;
      return { id: `alert:${a.alert_id}`, group: "alerts", start: a.first_t || a.fired_at, end: point ? undefined : a.last_t,
        type: point ? "point" : "range", alert: a.alert_id, ids: [], className: "alert", content: esc(a.kind),
        label: `Alert ${a.alert_id}: ${a.summary}`, title: `${esc(a.summary)}, ${span(a.first_t, a.last_t)}` };
    });
  }

  /** Show [t0, t1] (ms) with a margin. */
  show(t0, t1) {
    const pad = Math.max((t1 - t0) * 0.1, 3_600_000);
    this.tl.setWindow(t0 - pad, t1 + pad, { animation: false });
  }

  /** Mark the items of `ids` (identifiers), of hypothesis `hyp` or of alert `alert`; returns how many are marked. */
  highlight(ids, hyp = null, alert = null) {
    const want = new Set(ids);
    const hits = this.items.get({ filter: (it) => (hyp && (it.hyps || []).includes(hyp)) || (alert && it.alert === alert)
      || (it.ids || []).some((i) => want.has(i)) });
    const updates = this.items.get().map((it) => {
      const base = (it.className || "").replace(/\s*fc-hl/g, "");
      const on = hits.some((h) => h.id === it.id);
      return { id: it.id, className: on ? `${base} fc-hl` : base };
    });
    this.items.update(updates);
    this.tl.setSelection(hits.map((h) => h.id));
    this.el.dataset.highlighted = String(hits.length);
    return hits.length;
  }

  /** Set (or clear with null) the time window [t0, t1] in ms; shows it as two draggable bars. */
  setWindow(win, emit = true) {
    for (const id of ["win-from", "win-to"]) { try { this.tl.removeCustomTime(id); } catch { /* not shown */ } }
    this.window = win;
    if (win) {
      this.tl.addCustomTime(new Date(win[0]), "win-from");
      this.tl.addCustomTime(new Date(win[1]), "win-to");
      this.tl.setCustomTimeMarker("from", "win-from");
      this.tl.setCustomTimeMarker("to", "win-to");
    }
    if (emit) this.onWindow(win);
  }

  emitWindow() {
    const a = this.tl.getCustomTime("win-from").getTime(), b = this.tl.getCustomTime("win-to").getTime();
    this.window = [Math.min(a, b), Math.max(a, b)];
    this.onWindow(this.window);
  }

  visibleRange() { const w = this.tl.getWindow(); return [w.start.getTime(), w.end.getTime()]; }

  focusItem(id) { this.tl.focus(id, { animation: false }); }
}
