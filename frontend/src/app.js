// The workbench: log in, then three linked views (graph, map, timeline) and a details column.
import "./style.css";
import { api, ApiError } from "./api.js";
import { GraphPane } from "./graph.js";
import { MapPane } from "./map.js";
import { TimelinePane } from "./timeline.js";
import { alertIds, esc, fmt, pct, productScene, radius, renderAlert, renderAlerts, renderDecisions, renderProduct, renderWithheld, tieSentence } from "./panels.js";

const $ = (id) => document.getElementById(id);
const toLocalInput = (ms) => new Date(ms).toISOString().slice(0, 16);
const fromLocalInput = (s) => Date.parse(`${s}:00Z`);

const fc = { selection: null, window: null, events: [], marked: [], alerts: [], decisions: [], extraIds: [] };
window.fc = fc; // for the browser tests and the curious analyst's console

function showLogin(message = "") {
  $("app").hidden = true;
  $("login").hidden = false;
  $("login-error").textContent = message;
  $("login-name").focus();
}

$("login-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  try {
    await api.login($("login-name").value, $("login-password").value);
    $("login-password").value = "";
    await start();
  } catch (err) {
    $("login-error").textContent = err instanceof ApiError && err.status === 429 ? err.message : "Wrong name or password.";
  }
});

$("logout-btn").addEventListener("click", async () => { await api.logout().catch(() => {}); location.reload(); });

async function start() {
  const who = api.who();
  if (!who) { showLogin(); return; }
  let info;
  try {
    info = await api.get("/case");
  } catch (err) {
    if (err.status === 401) { showLogin(); return; }
    $("login").hidden = true;
    $("app").hidden = false;
    $("who").textContent = who ? `${who.name} · ${who.role} · ${who.agency}` : "";
    $("marking-top").textContent = $("marking-bottom").textContent = "NO CASE VIEW";
    $("detail-body").innerHTML = `<p class="error">${esc(err.message)}</p>`;
    fc.error = err.message;
    return;
  }
  $("login").hidden = true;
  $("app").hidden = false;
  fc.case = info;
  if (info.owner_agency !== who.agency) { await startPartner(info, who); return; }
  $("case-title").textContent = `${info.title || info.case_id}`;
  $("case-title").title = `${info.case_id} · timezone ${info.timezone}`;
  $("who").textContent = `${who.name} · ${who.role} · ${who.agency}`;
  const marking = `${info.owner_agency} CASE ${info.case_id} · authority: ${info.legal_authority} · `
    + `bystanders masked · viewing as ${who.role} (${who.agency})`;
  $("marking-top").textContent = $("marking-bottom").textContent = marking;
  mountViews();
  const t0 = performance.now();
  const graphP = api.get(`/views/graph?max_nodes=${$("graph-size").value}`).then((g) => {
    fc.graphFetchMs = performance.now() - t0;
    fc.graphView = g;
    fc.graph.load(g);
    fc.graphReadyMs = performance.now();
    fc.graphLoadMs = performance.now() - t0;
    $("graph").dataset.ready = "1";
    updateGraphStatus();
    renderKeyPlayers(g);
    fillFind(g);
    const target = g.nodes.find((n) => n.target);
    $("target-btn").textContent = target ? `Target: ${target.caption || target.label}` : "Target";
    $("target-btn").dataset.node = target ? target.id : "";
  });
  // the map and timeline are fetched once the graph is up (the server answers one request at a time)
  const sceneP = graphP.then(() => loadScene([]));
  await Promise.all([graphP, sceneP]).catch((err) => { $("detail-body").innerHTML = `<p class="error">${esc(err.message)}</p>`; });
  await Promise.all([loadAlerts(), loadDecisions()]).catch((err) => { $("ovr-status").textContent = err.message; });
  $("app").dataset.ready = "1";
}

// ----------------------------------------------------------------------------- a partner agency's view

/** A partner's account sees only the tearline `fusioncell share --to ITS-AGENCY` would write. */
async function startPartner(info, who) {
  document.body.classList.add("partner");
  $("graph-pane").hidden = true;
  $("tearline-pane").hidden = false;
  $("case-title").textContent = `${info.case_id} (tearline)`;
  $("who").textContent = `${who.name} · ${who.role} · ${who.agency}`;
  const { product } = await api.get(`/share/preview?to=${encodeURIComponent(who.agency)}`);
  fc.product = product;
  const marking = `${product.marking?.tlp || ""} · TEARLINE ${product.case} from ${product.from} to ${product.to} · `
    + `sources described generically, methods withheld · viewing as ${who.role} (${who.agency})`;
  $("marking-top").textContent = $("marking-bottom").textContent = marking;
  $("tearline").innerHTML = renderProduct(product);
  $("tearline-status").textContent = `${(product.hypotheses || []).length} hypotheses · ${(product.sightings || []).length} sightings · as of ${fmt(product.as_of)}`;
  fc.map = new MapPane($("map"), select);
  fc.timeline = new TimelinePane($("timeline"), select, () => {});
  const scene = productScene(product);
  fc.scene = scene;
  fc.timeline.load(scene, "Nothing to show: the product releases no time window and no sighting.");
  await fc.map.load(scene);
  renderHypotheses(scene);
  for (const b of document.querySelectorAll("#tearline .hyp-btn")) b.onclick = () => select({ source: "list", hypothesis: b.dataset.hyp });
  $("map-status").textContent = `what the product carries: ${scene.hypotheses.length} hypotheses, ${scene.sightings.length} sightings`;
  $("app").dataset.ready = "1";
}

async function loadScene(extraIds) {
  fc.extraIds = extraIds;
  const q = extraIds.length ? `?ids=${encodeURIComponent(extraIds.join(","))}` : "";
  const s = await api.get(`/views/scene${q}`);
  fc.scene = s;
  fc.timeline.load(s);
  await fc.map.load(s);
  renderHypotheses(s);
  $("timeline").dataset.ready = "1";
  $("map").dataset.ready = "1";
  $("map-status").textContent = `${s.places.length} places · ${s.stays.length} stays · ${s.sightings.length} sightings · `
    + `${s.coverage.length} cell sites`;
  $("map-status").title = $("map-status").textContent; // cut short beside the basemap picker at 1366 px
  if (fc.window) applyWindow(fc.window);
}

function mountViews() {
  if (fc.graph) return;
  fc.graph = new GraphPane($("graph"), select, toggleMark);
  fc.map = new MapPane($("map"), select);
  fc.timeline = new TimelinePane($("timeline"), select, (w) => applyWindow(w, false));
  fc.cy = fc.graph.cy;
}

function updateGraphStatus() {
  const c = fc.graph.counts();
  const t = fc.graph.total || {};
  $("graph-status").textContent = `${c.nodes}/${t.nodes ?? c.loadedNodes} nodes · ${c.edges}/${t.edges ?? c.loadedEdges} ties`
    + (fc.window ? " in window" : "");
  $("graph-status").title = "shown / in the case; a time window hides ties with no contact inside it";
  $("graph").dataset.visibleEdges = String(c.edges);
  $("graph").dataset.visibleNodes = String(c.nodes);
}

/** The graph's key players in rank order; where the list ends inside a tie of degree, which ranks are a draw. */
function renderKeyPlayers(g) {
  const byId = new Map(g.nodes.map((n) => [n.id, n]));
  const kp = g.key_players || [];
  const tie = g.key_players_tie;
  $("kp-list").innerHTML = kp.map((id, i) => {
    const n = byId.get(id);
    const draw = tie && i + 1 >= tie.first_rank;
    return `<li${draw ? ' class="draw"' : ""}><b>${i + 1}</b> <button data-node="${esc(id)}">${esc(n ? n.caption || n.label : id)}</button></li>`;
  }).join("");
  for (const b of $("kp-list").querySelectorAll("button")) b.onclick = () => select({ source: "panel", node: b.dataset.node });
  $("kp-tie").textContent = tieSentence(tie, kp.length);
  $("kp-tie").hidden = !tie;
}

function fillFind(g) {
  $("find-list").innerHTML = g.nodes.slice(0, 500).map((n) => `<option value="${esc(n.caption || n.label)}">`).join("");
}

// ----------------------------------------------------------------------------- selection

function idsOf(sel) {
  if (!sel) return { ids: [], nodes: [] };
  if (sel.node) { const n = fc.graph.nodeById(sel.node); return { ids: n ? n.identifiers : [], nodes: [sel.node] }; }
  if (sel.feature) {
    const f = sel.feature;
    const ids = typeof f.ids === "string" ? JSON.parse(f.ids) : f.ids || [];
    return { ids, nodes: [] };
  }
  if (sel.item) return { ids: sel.item.ids || [], nodes: [] };
  if (sel.alert) return { ids: alertIds(sel.alert), nodes: [] };
  return { ids: [], nodes: [] };
}

function select(sel) {
  fc.selection = sel;
  $("details").scrollTop = 0; // what was selected is shown at the top of the details column
  fc.events.push(sel ? sel.source : "clear");
  const hyp = sel?.hypothesis || sel?.item?.hyps?.[0] || (sel?.feature?.kind === "hypothesis" ? sel.feature.id : null);
  if (hyp) { openHypothesis(hyp); return; }
  const { ids, nodes } = idsOf(sel);
  const alertId = sel?.alert?.alert_id || sel?.item?.alert || null;
  if (sel?.item?.alert && !sel.alert) { sel.alert = fc.alerts.find((a) => a.alert_id === alertId); return select(sel); }
  const hit = fc.graph ? fc.graph.highlight(ids, nodes) : [];
  if (fc.graph && sel?.source !== "graph") { fc.cy.$(":selected").unselect(); if (hit.length === 1) hit.select(); }
  const onMap = fc.map.highlight(ids);
  const onTl = fc.timeline.highlight(ids, null, alertId);
  fc.highlighted = { graph: hit.length, map: onMap, timeline: onTl };
  if (!sel) { $("detail-body").innerHTML = `<p class="muted">Select a node, a place or a hypothesis.</p>`; return; }
  if (sel.alert) { showAlert(sel.alert); return; }
  if (sel.node) showNode(fc.graph.nodeById(sel.node));
  else if (sel.feature) showFeature(sel.feature, ids);
  else if (sel.item) showItem(sel.item);
  if (sel.source !== "map" && sel.item?.lon) fc.map.flyTo(sel.item.lon, sel.item.lat);
}

function showNode(n) {
  if (!n) return;
  const tie = fc.graphView?.key_players_tie;
  const draw = tie && n.key_rank >= tie.first_rank ? ` (a draw among the ${tie.among} with degree ${tie.degree})` : "";
  const flags = [n.target && "target", n.key_rank && `key player #${n.key_rank}${draw}`, n.circle && "close circle",
    n.label.startsWith("masked:") && "masked bystander"].filter(Boolean);
  const edges = fc.cy.getElementById(n.id).connectedEdges().map((e) => e.data())
    .sort((a, b) => b.strength - a.strength).slice(0, 8);
  const other = (e) => { const o = fc.graph.nodeById(e.source === n.id ? e.target : e.source); return o ? (o.caption || o.label) : ""; };
  $("detail-body").innerHTML = `
    <h3>${esc(n.caption || n.label)}</h3>
    <p class="muted">${esc(n.kind)}${flags.length ? " · " + esc(flags.join(" · ")) : ""}</p>
    <p>Identifiers: ${n.identifiers.map((i) => `<code>${esc(i)}</code>${!splittable(n) ? "" : mergedByAnalyst(i)
    ? ' <span class="small muted" title="A split after your own merge is not honoured yet: undo the merge">(your merge: Undo)</span>'
    : ` <button class="split-id" data-id="${esc(i)}" title="This identifier belongs to nobody (its own node)">split</button>`}`).join(" ")}</p>
    <div class="actions"><button id="act-expand">Expand neighbours (e)</button>
      <button id="act-mark">${fc.marked.includes(n.id) ? "Unmark" : "Mark for merge"} (x)</button>
      ${n.target ? '<button id="act-plan">Collection plan (p)</button>' : ""}
      ${n.label.startsWith("masked:") ? "" : '<button id="act-scene">Show movements on map</button>'}</div>
    <h4>Strongest ties</h4>
    <table class="ties"><tr><th>with</th><th>strength</th><th>relationship</th><th>layers</th></tr>
    ${edges.map((e) => `<tr><td>${esc(other(e))}</td><td>${e.strength.toFixed(2)}</td><td>${esc(e.relationship)}</td><td>${esc((e.layers || []).join(", "))}</td></tr>`).join("")}</table>`;
  $("act-expand").onclick = () => expand(n.id);
  $("act-mark").onclick = () => { toggleMark(n.id); showNode(fc.graph.nodeById(n.id)); };
  for (const b of document.querySelectorAll(".split-id")) b.onclick = () => splitIdentifier(b.dataset.id);
  if ($("act-plan")) $("act-plan").onclick = openPlan;
  if ($("act-scene")) $("act-scene").onclick = async () => {
    await loadScene([...new Set([...(fc.scene?.subjects || []), ...n.identifiers])]);
    select({ source: "graph", node: n.id });
  };
}

function showFeature(f, ids) {
  const what = { place: `Place ${f.id} (${f.label}${f.remote ? ", remote" : ""}), ${f.n} visit(s)`,
    stay: `Stay of ${f.identifier}`, sighting: `Sighting of ${f.identifier}`, meeting: `Meeting: ${f.identifier} and ${f.other} (p ${f.p})`,
    area: `Area ${f.id}: p ${f.p}` }[f.kind] || f.kind;
  $("detail-body").innerHTML = `<h3>${esc(what)}</h3>
    ${f.t0 ? `<p>${esc(fmt(Number(f.t0)))} – ${esc(fmt(Number(f.t1)))}</p>` : ""}
    <p>Identifiers: ${ids.map((i) => `<code>${esc(i)}</code>`).join(" ") || "none"}</p>`;
}

function showItem(it) {
  $("detail-body").innerHTML = `<h3>${esc(it.label || it.title)}</h3><p>${esc(fmt(it.start))}${it.end ? " – " + esc(fmt(it.end)) : ""}</p>
    <p>Identifiers: ${(it.ids || []).map((i) => `<code>${esc(i)}</code>`).join(" ")}</p>`;
}

async function expand(nodeId) {
  const view = await api.get(`/views/graph/neighbours?node=${encodeURIComponent(nodeId)}`);
  const added = fc.graph.expand(view);
  updateGraphStatus();
  $("graph-status").textContent += ` · +${added} from expand`;
  select({ source: "graph", node: nodeId });
}

// ----------------------------------------------------------------------------- hypotheses, evidence, plan

function renderHypotheses(s) {
  // what the listed places leave: without it 75% and four "<1%" read as the whole answer
  const rest = Math.min(1, Math.max(0, 1 - s.hypotheses.reduce((a, h) => a + Number(h.probability || 0), 0)));
  $("hyp-list").innerHTML = s.hypotheses.length ? s.hypotheses.map((h) => `<li><button class="hyp-btn" data-hyp="${esc(h.id)}">
    <b>H${h.rank}</b> ${esc(h.label)} · <b>${pct(h.probability)}</b> · ±${radius(h.radius_m)}</button></li>`).join("")
    + `<li class="muted small" id="hyp-elsewhere">elsewhere (none of these places): <b>${pct(rest)}</b></li>`
    : `<li class="muted">No hypothesis (no target or no evidence).</li>`;
  for (const b of document.querySelectorAll(".hyp-btn")) b.onclick = () => select({ source: "list", hypothesis: b.dataset.hyp });
}

function openHypothesis(id) {
  const h = fc.scene.hypotheses.find((x) => x.id === id);
  if (!h) return;
  if (fc.graph) fc.graph.highlight([]);
  fc.map.highlight([]);
  fc.timeline.highlight([], id);
  fc.map.flyTo(h.lon, h.lat, 11);
  const ev = (h.evidence || []).map((e) => `<li><b>${esc(e.kind)}</b> (weight ${e.weight}): ${esc(e.summary)}
      ${(e.sources || []).length ? `<div class="src">sources: ${e.sources.map((s) => `<span class="grade" title="${esc(s.discipline)}">${esc(s.agency)} ${esc(s.discipline)}${s.reliability ? ` · reliability ${esc(s.reliability)}` : ""}</span>`).join(" ")}</div>` : ""}
      ${(e.grades || []).length ? `<div class="src">grades: ${e.grades.map((g) => `<span class="grade">${esc(g)}</span>`).join(" ")}</div>` : ""}
      ${(e.event_ids || []).length ? `<div class="muted small">events: ${e.event_ids.slice(0, 8).map(esc).join(", ")}${e.event_ids.length > 8 ? " …" : ""}</div>` : ""}</li>`).join("");
  $("detail-body").innerHTML = `<h3 id="evidence-title">Hypothesis ${h.rank}: ${esc(h.label)} — ${pct(h.probability)}</h3>
    <p>${h.lat.toFixed(4)}, ${h.lon.toFixed(4)} ± ${radius(h.radius_m)}${(h.windows || []).length ? ` · ${h.windows.length} time window(s), first ${esc(fmt(h.windows[0].from))} – ${esc(fmt(h.windows[0].to))}` : ""}</p>
    <p class="muted">${esc(h.support?.note || "")}</p>
    <h4>Evidence chain</h4><ol class="evidence">${ev}</ol>
    ${(h.would_change || []).length ? `<h4>What would change it</h4><ul>${h.would_change.map((w) => `<li>${esc(w)}</li>`).join("")}</ul>` : ""}`;
}

async function openPlan() {
  $("details").scrollTop = 0;
  $("detail-body").innerHTML = `<p class="muted">Planning…</p>`;
  const p = await api.get("/plan");
  // entity ids in the reasons read as the people's names where the graph knows them (as the report does)
  const named = (t) => esc(t).replace(/\bent-[0-9a-f]{6,}\b/g, (id) => {
    const n = fc.graph && fc.graph.nodeById(id); return n && n.caption ? esc(n.caption) : id; });
  const recs = p.recommendations.map((r) => `<li><button class="plan-id" data-id="${esc(r.identifier)}">${esc(r.identifier)}</button>
    ${esc(r.role || "")} · gain ${r.expected_gain} bits<div class="small">${named(r.why)}</div></li>`).join("");
  // a partner known by alias only: her likeliest numbers, to confirm before tracking one
  const identify = (p.identify || []).map((x) => `<li>the phone of ${named(x.person)} (${esc(x.role)}): ${x.candidates.map((c) =>
    `<button class="plan-id" data-id="${esc(c.identifier)}">${esc(c.identifier)}</button> p ${c.p.toFixed(2)}${c.note ? ` (${esc(c.note)})` : ""}`).join(", ")}
    <div class="small">${esc(x.how)}</div></li>`).join("");
  // aerial passes: confirm a held leader, settle a toss-up, look inside a coverage hole (each on the map)
  const kinds = { confirm: "Confirm the leading place", "toss-up": "Settle a toss-up", "coverage hole": "Look inside a coverage hole" };
  const imagery = (p.imagery || []).map((x, i) => `<li><button class="plan-air" data-i="${i}">${esc(kinds[x.kind] || x.kind)}</button>
    ${x.lat.toFixed(4)}, ${x.lon.toFixed(4)} within ${(x.radius_m / 1000).toFixed(1)} km<div class="small">${esc(x.why)}</div></li>`).join("");
  $("detail-body").innerHTML = `<h3 id="plan-title">Collection plan: whom to watch next</h3>
    <p class="muted">Uncertainty about where he is: ${p.uncertainty_bits} bits. Ranked by expected information gain.</p>
    <ol class="plan">${recs || "<li>nothing to recommend</li>"}</ol>
    ${identify ? `<h4>To identify first</h4><ul class="plan plan-identify">${identify}</ul>` : ""}
    ${imagery ? `<h4>Aerial tasks</h4><ul class="plan plan-imagery">${imagery}</ul>` : ""}`;
  for (const b of document.querySelectorAll(".plan-id")) {
    b.onclick = () => { const n = fc.graph.findNodes(b.dataset.id).first(); if (n.nonempty()) select({ source: "plan", node: n.id() }); };
  }
  for (const b of document.querySelectorAll(".plan-air")) {
    const x = p.imagery[Number(b.dataset.i)];
    b.onclick = () => fc.map.flyTo(x.lon, x.lat, x.radius_m > 3000 ? 10 : 14);
  }
}

// ----------------------------------------------------------------------------- merge, split, undo

/** A node whose identifiers can be split off: a person with identifiers attributed to it. */
const splittable = (n) => n.kind === "person" && n.identifiers.some((i) => i !== n.id);
/** An identifier the analysts gave to a person: take that back with Undo (see docs/workbench.md, known limit). */
const mergedByAnalyst = (i) => fc.decisions.some((d) => d.person && d.identifiers.includes(i));

function toggleMark(id) {
  fc.marked = fc.marked.includes(id) ? fc.marked.filter((m) => m !== id) : [...fc.marked, id];
  renderMarks();
}

function renderMarks() {
  fc.marked = fc.marked.filter((id) => fc.graph.nodeById(id));
  fc.graph.mark(fc.marked);
  const name = (id) => { const n = fc.graph.nodeById(id); return n ? (n.caption || n.label) : id; };
  $("ovr-marked").innerHTML = fc.marked.length
    ? `Marked: ${fc.marked.map((id) => `<code>${esc(name(id))}</code>`).join(" ")}`
    : "Mark nodes with <b>x</b> or Shift+click, then merge them.";
  // merge into a person if one is marked (the others' identifiers join it), else into the first marked
  const into = fc.marked.find((id) => fc.graph.nodeById(id)?.kind === "person") || fc.marked[0];
  $("ovr-into").innerHTML = fc.marked.map((id) => `<option value="${esc(id)}"${id === into ? " selected" : ""}>${esc(name(id))}</option>`).join("");
  $("ovr-merge").disabled = fc.marked.length < 2;
}

function reason() {
  const r = $("ovr-reason").value.trim();
  if (!r) { $("ovr-status").textContent = "Give a reason: every decision is audited with it."; $("ovr-reason").focus(); }
  return r;
}

async function decide(path, body, done) {
  $("ovr-status").textContent = "working…";
  $("app").dataset.ready = "0";
  try {
    const d = await api.post(path, body);
    fc.lastDecision = d;
    await refreshCase();
    $("ovr-status").textContent = done(d);
  } catch (err) {
    $("ovr-status").textContent = err.message;
  } finally {
    $("app").dataset.ready = "1";
  }
}

async function mergeMarked() {
  const why = reason();
  if (!why || fc.marked.length < 2) return;
  const into = $("ovr-into").value;
  const members = fc.marked.filter((m) => m !== into);
  await decide("/persons/merge", { members, into, reason: why }, (d) => {
    fc.marked = [];
    renderMarks();
    select({ source: "merge", node: fc.graph.nodeById(into) ? into : null });
    return `Merged ${d.identifiers.length} identifier(s) into ${d.person}.`;
  });
}

async function splitIdentifier(identifier) {
  const why = reason();
  if (!why) return;
  await decide("/persons/split", { identifier, reason: why }, () => `Split ${identifier}: it is its own node now.`);
}

async function undoLast() {
  const why = reason();
  if (!why) return;
  await decide("/persons/undo", { reason: why }, (d) => `Undone: ${d.person ? `merge into ${d.person}` : "split"} of ${d.identifiers.join(", ")}.`);
}

/** After a decision every view is fetched again: graph, map and timeline, the hypotheses, the decisions. */
async function refreshCase() {
  const g = await api.get(`/views/graph?max_nodes=${$("graph-size").value}`);
  fc.graphView = g;
  fc.graph.load(g);
  renderKeyPlayers(g);
  updateGraphStatus();
  fillFind(g);
  renderMarks();
  await loadScene(fc.extraIds);
  await loadDecisions();
  fc.decisionsApplied = (fc.decisionsApplied || 0) + 1;
}

async function loadDecisions() {
  const d = await api.get("/persons/overrides?limit=50");
  fc.decisions = d.items;
  $("ovr-list").innerHTML = renderDecisions(d.items);
  $("ovr-undo").disabled = d.items.length === 0;
}

// ----------------------------------------------------------------------------- alerts

async function loadAlerts() {
  const a = await api.get("/alerts?limit=1000");
  fc.alerts = a.items;
  $("alert-count").textContent = `(${a.total})`;
  $("alert-list").innerHTML = renderAlerts(a.items);
  for (const b of document.querySelectorAll(".alert-btn")) {
    b.onclick = () => select({ source: "alerts", alert: fc.alerts.find((x) => x.alert_id === b.dataset.alert) });
  }
  fc.timeline.addAlerts(a.items);
}

function showAlert(a) {
  $("detail-body").innerHTML = renderAlert(a);
  const t0 = Date.parse(a.first_t), t1 = Date.parse(a.last_t);
  if (Number.isFinite(t0) && Number.isFinite(t1)) fc.timeline.show(t0, t1);
}

// ----------------------------------------------------------------------------- share preview (owner)

async function openShare(to) {
  const partners = fc.case?.partners || [];
  if (!partners.length) { $("detail-body").innerHTML = `<p class="muted">This case names no partner agency.</p>`; return; }
  const agency = to || partners[0];
  $("details").scrollTop = 0;
  $("detail-body").innerHTML = `<p class="muted">Building the tearline for ${esc(agency)}…</p>`;
  const { product, withheld } = await api.get(`/share/preview?to=${encodeURIComponent(agency)}`);
  fc.sharePreview = { to: agency, product, withheld };
  const formats = ["html", "stix", "json", "ftm", "geojson", "kml"];
  $("detail-body").innerHTML = `<h3 id="share-title">Share to <select id="share-to">${partners.map((p) => `<option${p === agency ? " selected" : ""}>${esc(p)}</option>`).join("")}</select></h3>
    <p class="small muted">Exactly what <code>fusioncell share --to ${esc(agency)}</code> would send. Export (audited):
      ${formats.map((f) => `<a href="/api/v1/share/export?to=${encodeURIComponent(agency)}&format=${f}" download>${f}</a>`).join(" · ")}</p>
    <div class="product">${renderProduct(product)}</div>${renderWithheld(withheld)}`;
  $("share-to").onchange = () => openShare($("share-to").value);
}

// ----------------------------------------------------------------------------- time window

function applyWindow(win, moveBars = true) {
  fc.window = win;
  if (moveBars) fc.timeline.setWindow(win, false);
  fc.graph.applyWindow(win);
  fc.map.setWindow(win);
  updateGraphStatus();
  const v = fc.map.visibleCounts();
  $("window-status").textContent = win ? `${fmt(win[0])} – ${fmt(win[1])}: ${v.stays} stays, ${v.meetings} meetings on the map` : "";
  if (win) { $("win-from").value = toLocalInput(win[0]); $("win-to").value = toLocalInput(win[1]); }
}

$("window-form").addEventListener("submit", (ev) => {
  ev.preventDefault();
  const a = fromLocalInput($("win-from").value), b = fromLocalInput($("win-to").value);
  if (Number.isFinite(a) && Number.isFinite(b) && a < b) applyWindow([a, b]);
});
$("win-visible").addEventListener("click", () => applyWindow(fc.timeline.visibleRange()));
$("win-clear").addEventListener("click", () => applyWindow(null));
$("target-btn").addEventListener("click", () => { const id = $("target-btn").dataset.node; if (id) select({ source: "bar", node: id }); });
$("plan-btn").addEventListener("click", openPlan);
$("share-btn").addEventListener("click", () => openShare());
$("ovr-merge").addEventListener("click", mergeMarked);
$("ovr-undo").addEventListener("click", undoLast);
$("ovr-clear").addEventListener("click", () => { fc.marked = []; renderMarks(); });
$("graph-size").addEventListener("change", async () => {
  $("graph-status").textContent = "loading…";
  const g = await api.get(`/views/graph?max_nodes=${$("graph-size").value}`);
  fc.graphView = g;
  fc.graph.load(g);
  renderKeyPlayers(g);
  updateGraphStatus();
  fillFind(g);
  renderMarks();
});
$("help-btn").addEventListener("click", () => $("help").showModal());
$("find").addEventListener("keydown", (ev) => {
  if (ev.key !== "Enter") return;
  const n = fc.graph.findNodes($("find").value).first();
  if (n.nonempty()) select({ source: "find", node: n.id() });
});
$("pmtiles").addEventListener("change", async (ev) => {
  const f = ev.target.files[0];
  if (f) { const h = await fc.map.addPmtiles(f); $("map-status").textContent += ` · basemap ${f.name} (${h.tileType === 1 ? "vector" : "raster"})`; }
});

document.addEventListener("keydown", (ev) => {
  if (ev.target.closest("input, textarea, select, dialog") || ev.ctrlKey || ev.metaKey || ev.altKey || $("app").hidden) return;
  if (document.body.classList.contains("partner") && !/^[1-9]$|^Escape$|^[?ml]$/.test(ev.key)) return;
  const keys = {
    "/": () => $("find").focus(), t: () => $("target-btn").click(), p: openPlan, "?": () => $("help").showModal(),
    e: () => { const n = fc.selection?.node; if (n) expand(n); }, w: () => $("win-visible").click(), c: () => $("win-clear").click(),
    x: () => { const n = fc.selection?.node; if (n) { toggleMark(n); showNode(fc.graph.nodeById(n)); } }, u: undoLast, s: () => openShare(),
    Escape: () => select(null), g: () => $("graph").focus(), m: () => $("map").focus(), l: () => $("timeline").focus(),
  };
  if (keys[ev.key]) { ev.preventDefault(); keys[ev.key](); return; }
  if (/^[1-9]$/.test(ev.key) && fc.scene?.hypotheses[Number(ev.key) - 1]) select({ source: "key", hypothesis: `h${ev.key}` });
});

start().catch((err) => showLogin(err.message));
