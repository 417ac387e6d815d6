// Side panels: the analyst's overrides (merge, split, undo), the alerts of the standing watches,
// and share products (a partner's tearline; the owner's preview of it with what it withholds).
export const esc = (s) => String(s ?? "").replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The draw a key-player list ends in (the view's `key_players_tie`), said as `fusioncell network` says it. */
export function tieSentence(tie, shownCount) {
  if (!tie) return "";
  const ranks = tie.shown === 1 ? `rank ${tie.first_rank}` : `ranks ${tie.first_rank}-${shownCount}`;
  return `${ranks}: ${tie.shown} of the ${tie.among} people with degree ${tie.degree}; among them the order is `
    + "betweenness, no better than chance at finding leaders";
}
/** Every time the page shows is UTC, written out: 2026-02-16 04:20 UTC. */
export const fmt = (t) => {
  const ms = typeof t === "number" ? t : Date.parse(t);
  return Number.isFinite(ms) ? new Date(ms).toISOString().slice(0, 16).replace("T", " ") + " UTC" : "";
};
/** A probability as the products print it (`language.percent`): a whole percentage, half to even, never
 * "0%" or "100%" but "<1%" and ">99%", so the page, the report and the tearline never disagree. */
export const pct = (p) => {
  const x = Number(p) * 100;
  const f = Math.floor(x);
  const whole = x - f > 0.5 || (x - f === 0.5 && f % 2 === 1) ? f + 1 : f;
  return whole < 1 ? "<1%" : whole > 99 ? ">99%" : `${whole}%`;
};
/** A radius as the workbench writes it: metres below a kilometre, else kilometres with one decimal. */
export const radius = (m) => (m < 1000 ? `${Math.round(m)} m` : `${(m / 1000).toFixed(1)} km`);

// ----------------------------------------------------------------------------- share products

/** A tearline (`fusioncell.tearline/1`, as `fusioncell share --format json` writes it) as HTML. */
export function renderProduct(p) {
  const src = (s) => (typeof s === "string" ? s : `${s.agency || ""} ${s.discipline || ""} ${s.reliability || ""}`.trim());
  const hyps = (p.hypotheses || []).map((h) => `<li><button class="hyp-btn" data-hyp="h${h.rank}">
      <b>H${h.rank}</b> ${esc(h.label)} · <b>${pct(h.probability)}</b> (${esc(h.likelihood)}) · ±${radius(h.radius_m)}</button>
      <ul class="small">${(h.evidence || []).map((e) => `<li>${esc(e.summary)} <span class="muted">(weight ${e.weight}${e.n_events ? `, ${e.n_events} event(s)` : ""})</span>
        ${(e.sources || []).map((s) => `<span class="grade">${esc(src(s))}</span>`).join(" ")}</li>`).join("")}</ul></li>`).join("");
  const sightings = (p.sightings || []).map((x) => `<li>${esc(fmt(x.observed))} · ${esc(x.subject)} · ${x.lat}, ${x.lon}
      · confidence ${x.confidence} <span class="grade">${esc(x.source)}</span></li>`).join("");
  const assoc = (p.associates || []).map((a) => `<li><code>${esc(a.identifier)}</code>${a.person ? ` (${esc(a.person)})` : ""}
      ${a.relationship ? `· ${esc(a.relationship)}` : ""}${a.strength != null ? ` · tie ${a.strength}` : ""}
      ${a.why ? `<span class="muted">· ${esc(a.why)}</span>` : ""}</li>`).join("");
  return `<div class="marking-box">${esc(p.marking?.tlp)} · releasable to ${esc((p.marking?.releasable_to || []).join(", "))}</div>
    <p><b>${esc(p.case)}</b>: from ${esc(p.from)} to ${esc(p.to)} · as of ${esc(fmt(p.as_of))} · subject
      <b>${esc(p.subject?.name || p.subject?.id)}</b></p>
    <h4>Key judgments</h4><ol class="judgments">${(p.key_judgments || []).map((k) => `<li>${esc(k)}</li>`).join("")}</ol>
    <h4>Hypotheses (${(p.hypotheses || []).length})</h4><ol class="hyps product-hyps">${hyps || "<li class='muted'>none released</li>"}</ol>
    <h4>Sightings (${(p.sightings || []).length})</h4><ul class="small sightings">${sightings || "<li class='muted'>none released</li>"}</ul>
    <h4>Associates (${(p.associates || []).length})</h4><ul class="small associates">${assoc || "<li class='muted'>none released</li>"}</ul>
    <p class="handling small">${esc(p.handling)}</p>`;
}

/** The owner's list of what a share leaves out (never part of the product). */
export function renderWithheld(w) {
  if (!w) return "";
  const rows = (w.sources || []).map((s) => `<tr><td><code>${esc(s.source_id)}</code></td><td>${esc(s.agency)}</td>
    <td>${esc(s.discipline)}</td><td>${esc(s.reliability)}</td><td>${esc(Object.entries(s.rows || {}).map(([t, n]) => `${n} ${t}`).join(", "))}</td></tr>`).join("");
  return `<h4>Withheld from ${esc(w.agency)} <span class="muted small">(owner only: never sent)</span></h4>
    <table class="ties withheld"><tr><th>source</th><th>agency</th><th>disc.</th><th>rel.</th><th>rows</th></tr>${rows}</table>
    <p class="small muted">${esc(w.entities ?? 0)} entities held back${(w.dropped || []).length ? `; dropped: ${esc(w.dropped.join(", "))}` : ""}.</p>`;
}

/** A scene (the map's and timeline's input) holding only what a tearline carries. */
export function productScene(p) {
  const hyps = (p.hypotheses || []).map((h) => ({ ...h, id: `h${h.rank}`,
    evidence: (h.evidence || []).map((e) => ({ ...e, sources: (e.sources || []).map((s) => ({ agency: s, discipline: "", reliability: "" })) })) }));
  const sightings = (p.sightings || []).map((x, i) => ({ id: `s${i}`, subject: x.subject, observed: x.observed, lat: x.lat,
    lon: x.lon, confidence: x.confidence, note: x.source }));
  // the timeline spans the released sightings and windows, or the week before the product's "as of"
  const times = [...sightings.map((x) => x.observed), ...hyps.flatMap((h) => (h.windows || []).flatMap((w) => [w.from, w.to])),
    ...(sightings.length ? [] : [p.as_of])].map((t) => Date.parse(t)).filter(Number.isFinite);
  const iso = (ms) => new Date(ms).toISOString();
  return { subjects: [], places: [], stays: [], tracks: [], meetings: [], dark: [], areas: [], coverage: [],
    hypotheses: hyps, sightings, target: p.subject?.id,
    period: times.length ? { start: iso(Math.min(...times) - (sightings.length ? 1 : 7) * 86_400_000),
      end: iso(Math.max(...times) + 86_400_000) } : { start: null, end: null } };
}

// ----------------------------------------------------------------------------- alerts

/** The alerts list (newest first on screen). */
export function renderAlerts(items) {
  return [...items].reverse().map((a) => `<li><button class="alert-btn" data-alert="${esc(a.alert_id)}">
      <span class="when">${esc(fmt(a.fired_at))}</span> <b>${esc(a.kind)}</b> ${esc(a.summary)}
      <div class="small muted">why: ${esc(a.why || `watch ${a.watch_id} (removed)`)}</div>
      <div class="small muted">rows ${esc(fmt(a.first_t))} – ${esc(fmt(a.last_t))} · ${a.n_rows} in ${esc(a.delivery_id)}</div></button></li>`).join("")
    || `<li class="muted small">No alert. Add a watch with <code>fusioncell watch add</code>; each ingest evaluates it.</li>`;
}

export function renderAlert(a) {
  const ev = a.evidence.slice(0, 50).map((e) => `<tr><td class="t">${esc(fmt(e.t).replace(" UTC", ""))}</td>
    <td>${esc(e.table)}: ${esc(e.identifier)}${e.other ? ` ↔ ${esc(e.other)}` : ""}</td><td class="small">${esc(e.source_id)}</td></tr>`).join("");
  return `<h3 id="alert-title">Alert ${esc(a.alert_id)}: ${esc(a.summary)}</h3>
    <p><b>What:</b> ${esc(a.kind)} watch ${esc(a.watch_id)} fired on delivery <code>${esc(a.delivery_id)}</code></p>
    <p><b>Why:</b> ${esc(a.why || "its watch was removed since")}</p>
    <p><b>When:</b> fired ${esc(fmt(a.fired_at))}; the rows span ${esc(fmt(a.first_t))} – ${esc(fmt(a.last_t))}</p>
    <h4>Evidence (${a.evidence.length} row(s)${a.evidence.length > 50 ? ", first 50" : ""})</h4>
    <table class="ties alert-evidence"><tr><th>time (UTC)</th><th>row</th><th>source</th></tr>${ev}</table>`;
}

/** Identifiers an alert's evidence names (what it selects in the graph, map and timeline). */
export function alertIds(a) {
  return [...new Set(a.evidence.flatMap((e) => [e.identifier, e.other]).filter(Boolean))];
}

// ----------------------------------------------------------------------------- overrides

export function renderDecisions(items) {
  return items.map((d) => `<li>${esc(fmt(d.decided_at))} · ${esc(d.analyst || "")}: ${d.person
    ? `${d.identifiers.map((i) => `<code>${esc(i)}</code>`).join(" ")} → <code>${esc(d.person)}</code>`
    : `split <code>${esc(d.identifiers.join(", "))}</code>`} <span class="muted">(${esc(d.reason || "")})</span></li>`).join("")
    || `<li class="muted">No decision: the attribution is resolve's own.</li>`;
}
