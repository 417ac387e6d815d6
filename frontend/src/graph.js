// Graph pane: people and identifiers (Cytoscape.js), edges coloured by layer and sized by strength.
import cytoscape from "cytoscape";

export const LAYER_COLOURS = { meetings: "#d9480f", claims: "#7048e8", calls: "#1c7ed6" };

function edgeLayer(layers) {
  // the most telling layer colours the edge: a meeting outranks a claim outranks calls
  for (const l of ["meetings", "claims", "calls"]) if ((layers || []).includes(l)) return l;
  return "calls";
}

function nodeElement(n, pos) {
  const short = n.caption || n.label;
  return {
    group: "nodes",
    data: { ...n, name: short.length > 22 ? `${short.slice(0, 20)}…` : short },
    position: pos || { x: n.x ?? 0, y: n.y ?? 0 },
    classes: [n.kind, n.target ? "target" : "", n.key_rank ? "key" : "", n.circle ? "circle" : "",
      n.label.startsWith("masked:") ? "masked" : ""].join(" "),
  };
}

function edgeElement(e) {
  return {
    group: "edges",
    data: { ...e, layer: edgeLayer(e.layers), t0: Date.parse(e.first) || -Infinity, t1: Date.parse(e.last) || Infinity },
  };
}

const STYLE = [
  { selector: "node", style: {
    width: "mapData(deg, 1, 30, 8, 26)", height: "mapData(deg, 1, 30, 8, 26)", "background-color": "#868e96",
    "border-width": 0, label: "", "font-size": 10, color: "#212529", "text-outline-color": "#fff", "text-outline-width": 2,
    "min-zoomed-font-size": 7 } },
  { selector: "node.person", style: { "background-color": "#495057", shape: "ellipse" } },
  { selector: "node.plate", style: { shape: "round-rectangle", "background-color": "#5c940d" } },
  { selector: "node.masked", style: { "background-color": "#ced4da" } },
  { selector: "node.key", style: { "border-width": 3, "border-color": "#f08c00", label: "data(name)" } },
  { selector: "node.circle", style: { "background-color": "#e8590c", label: "data(name)" } },
  { selector: "node.target", style: { "background-color": "#c92a2a", shape: "star", width: 30, height: 30, label: "data(name)" } },
  { selector: "node.seed", style: { label: "data(name)" } },
  { selector: "edge", style: {
    width: "mapData(strength, 0, 1, 0.5, 6)", "line-color": LAYER_COLOURS.calls, opacity: "mapData(strength, 0, 1, 0.25, 0.9)",
    "curve-style": "haystack" } },
  { selector: "edge[layer = 'meetings']", style: { "line-color": LAYER_COLOURS.meetings } },
  { selector: "edge[layer = 'claims']", style: { "line-color": LAYER_COLOURS.claims, "line-style": "dashed", "curve-style": "straight" } },
  { selector: ".faded", style: { opacity: 0.12, label: "" } },
  { selector: ".outside", style: { display: "none" } },
  { selector: "node:selected, node.hl", style: { "border-width": 4, "border-color": "#fcc419", label: "data(name)", "z-index": 10 } },
  { selector: "edge.hl", style: { opacity: 1, "z-index": 9 } },
  { selector: "node.marked", style: { "border-width": 4, "border-color": "#ae3ec9", "border-style": "double", label: "data(name)", "z-index": 11 } },
];

export class GraphPane {
  constructor(el, onSelect, onMark = () => {}) {
    this.onSelect = onSelect;
    this.onMark = onMark;
    this.window = null;
    this.cy = cytoscape({
      container: el, style: STYLE, elements: [], layout: { name: "preset" },
      hideEdgesOnViewport: true, textureOnViewport: false, pixelRatio: 1, minZoom: 0.05, maxZoom: 6,
      selectionType: "single", boxSelectionEnabled: false,
    });
    this.cy.on("tap", "node", (ev) => (ev.originalEvent?.shiftKey ? this.onMark(ev.target.id())
      : this.onSelect({ source: "graph", node: ev.target.id() })));
    this.cy.on("tap", (ev) => { if (ev.target === this.cy) this.onSelect(null); });
  }

  load(view) {
    this.total = { nodes: view.total_nodes, edges: view.total_edges };
    const deg = new Map();
    for (const e of view.edges) for (const end of [e.source, e.target]) deg.set(end, (deg.get(end) || 0) + 1);
    const circle = new Set(view.close_circle || []);
    this.cy.startBatch();
    this.cy.elements().remove();
    this.cy.add([...view.nodes.map((n) => nodeElement({ ...n, deg: deg.get(n.id) || 0, circle: n.circle || circle.has(n.id) })),
      ...view.edges.map(edgeElement)]);
    this.cy.endBatch();
    this.cy.resize();
    this.cy.fit(undefined, 20);
    if (this.window) this.applyWindow(this.window);
  }

  /** Add a node's neighbours around it (from /views/graph/neighbours). */
  expand(view) {
    const centre = this.cy.getElementById(view.focus);
    const c = centre.nonempty() ? centre.position() : { x: 0, y: 0 };
    const fresh = view.nodes.filter((n) => this.cy.getElementById(n.id).empty());
    const r = 60 + 4 * fresh.length;
    this.cy.startBatch();
    this.cy.add(fresh.map((n, i) => nodeElement(n, {
      x: c.x + r * Math.cos((2 * Math.PI * i) / fresh.length), y: c.y + r * Math.sin((2 * Math.PI * i) / fresh.length) })));
    this.cy.add(view.edges.filter((e) => this.cy.getElementById(e.id).empty()).map(edgeElement));
    this.cy.nodes().forEach((n) => n.data("deg", n.degree()));
    this.cy.endBatch();
    this.applyWindow(this.window);
    return fresh.length;
  }

  /** Show only ties active in [t0, t1] (ms) and the nodes they join; null shows everything. */
  applyWindow(win) {
    this.window = win;
    this.cy.startBatch();
    this.cy.elements().removeClass("outside");
    if (win) {
      const out = this.cy.edges().filter((e) => e.data("t1") < win[0] || e.data("t0") > win[1]);
      out.addClass("outside");
      this.cy.nodes().filter((n) => !n.hasClass("target") && n.connectedEdges().not(".outside").empty()).addClass("outside");
    }
    this.cy.endBatch();
    this.cy.elements().updateStyle(); // class changes in a batch can leave haystack edges' display stale
    return this.counts();
  }

  counts() {
    return { nodes: this.cy.nodes().not(".outside").length, edges: this.cy.edges().not(".outside").length,
      loadedNodes: this.cy.nodes().length, loadedEdges: this.cy.edges().length };
  }

  /** Highlight the nodes carrying any of `ids` (identifiers) or the node ids in `nodes`. */
  highlight(ids, nodes = []) {
    this.cy.startBatch();
    this.cy.elements().removeClass("hl faded");
    const want = new Set(ids);
    const hit = this.cy.nodes().filter((n) => nodes.includes(n.id()) || (n.data("identifiers") || []).some((i) => want.has(i)));
    if (hit.nonempty()) {
      hit.addClass("hl");
      hit.connectedEdges().addClass("hl");
      this.cy.elements().not(hit).not(hit.neighborhood()).addClass("faded");
    }
    this.cy.endBatch();
    if (hit.nonempty() && hit.length < 30) this.cy.animate({ center: { eles: hit }, duration: 250 });
    return hit;
  }

  /** Ring the nodes marked for a merge. */
  mark(ids) {
    this.cy.nodes(".marked").removeClass("marked");
    for (const id of ids) this.cy.getElementById(id).addClass("marked");
  }

  nodeById(id) { const n = this.cy.getElementById(id); return n.nonempty() ? n.data() : null; }

  findNodes(text) {
    const t = text.trim().toLowerCase();
    return this.cy.nodes().filter((n) => [n.id(), n.data("label"), n.data("caption") || "", ...(n.data("identifiers") || [])]
      .some((v) => String(v).toLowerCase().includes(t)));
  }
}
