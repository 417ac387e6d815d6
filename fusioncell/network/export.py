"""GraphML and GEXF export of the tie graph (both open in Gephi)."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import igraph as ig


def write_graphml(g: ig.Graph, path: Path) -> None:
    """Write ``g`` (vertex and edge attributes of simple types) as GraphML."""
    g.write_graphml(str(path))


def _kind(values: list[Any]) -> str:
    vals = [v for v in values if v is not None]
    if vals and all(isinstance(v, bool) for v in vals):
        return "boolean"
    if vals and all(isinstance(v, int) and not isinstance(v, bool) for v in vals):
        return "long"
    if vals and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in vals):
        return "double"
    return "string"


def write_gexf(g: ig.Graph, path: Path) -> None:
    """Write ``g`` as GEXF 1.3 (undirected, weighted, with attributes)."""
    root = ET.Element("gexf", xmlns="http://gexf.net/1.3", version="1.3")
    graph = ET.SubElement(root, "graph", defaultedgetype="undirected", mode="static")
    v_attrs = [a for a in g.vs.attributes() if a != "name"]
    e_attrs = [a for a in g.es.attributes() if a != "weight"]
    for cls, attrs, seq in (("node", v_attrs, g.vs), ("edge", e_attrs, g.es)):
        el = ET.SubElement(graph, "attributes", attrib={"class": cls})
        for i, a in enumerate(attrs):
            ET.SubElement(el, "attribute", id=str(i), title=a, type=_kind(seq[a]))
    nodes = ET.SubElement(graph, "nodes")
    for v in g.vs:
        n = ET.SubElement(nodes, "node", id=str(v.index), label=str(v["name"]))
        if v_attrs:
            av = ET.SubElement(n, "attvalues")
            for i, a in enumerate(v_attrs):
                if v[a] is not None:
                    val = str(v[a]).lower() if isinstance(v[a], bool) else str(v[a])
                    ET.SubElement(av, "attvalue", attrib={"for": str(i), "value": val})
    edges = ET.SubElement(graph, "edges")
    for e in g.es:
        w = e["weight"] if "weight" in g.es.attributes() else 1.0
        x = ET.SubElement(edges, "edge", id=str(e.index), source=str(e.source), target=str(e.target), weight=repr(float(w)))
        if e_attrs:
            av = ET.SubElement(x, "attvalues")
            for i, a in enumerate(e_attrs):
                if e[a] is not None:
                    ET.SubElement(av, "attvalue", attrib={"for": str(i), "value": str(e[a])})
    ET.ElementTree(root).write(str(path), encoding="utf-8", xml_declaration=True)
