"""The owner's map files: GeoJSON and KML of ``locate``'s answer, for QGIS, ArcGIS or Google Earth.

``fusioncell locate CASE --geojson FILE --kml FILE`` writes, beside the usual
answer on stdout:

* each hypothesis as a Point: rank, probability (and its ICD 203 word and
  printed percentage), radius, label, how many items of evidence;
* each area (overlapping hypotheses read together) as a Point with its radius;
* the tracks of the most-located identifiers as LineStrings, thinned as in
  the report (``products.gather``).

The same masking as the command's other output applies: the hypotheses come
from the already masked ``locate`` result, and a track's identifier is shown
as ``locate`` and the report show it. A **protected** person's track is left
out altogether (masking her number while drawing her movements would not
protect her) until she is unmasked with a reason. Coordinates are
``[lon, lat]`` (GeoJSON) and ``lon,lat`` (KML). A partner's map is
``share --format geojson|kml`` (docs/sharing.md), never this file.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from fusioncell.errors import UsageError
from fusioncell.products.language import estimative, percent

KML_NS = "http://www.opengis.net/kml/2.2"


def locate_geojson(store: Any, result: dict[str, Any]) -> dict[str, Any]:
    """A GeoJSON FeatureCollection of a (masked) ``locate`` result and the case's tracks."""
    feats: list[dict[str, Any]] = []
    for h in result.get("hypotheses") or []:
        p = float(h.get("probability") or 0.0)
        feats.append(_point(h["lon"], h["lat"], {
            "kind": "hypothesis", "rank": h.get("rank"), "probability": p, "percent": percent(p),
            "likelihood": estimative(p), "radius_m": h.get("radius_m"), "label": h.get("label"),
            "n_evidence": len(h.get("evidence") or [])}))
    for a in result.get("areas") or []:
        p = float(a.get("probability") or 0.0)
        feats.append(_point(a["lon"], a["lat"], {
            "kind": "area", "rank": a.get("rank"), "probability": p, "percent": percent(p),
            "likelihood": estimative(p), "radius_m": a.get("radius_m"), "hypotheses": a.get("hypotheses")}))
    for ident, (lat, lon) in owner_tracks(store).items():
        if len(lat) < 2:
            continue
        feats.append({"type": "Feature", "properties": {"kind": "track", "identifier": ident, "fixes": len(lat)},
                      "geometry": {"type": "LineString",
                                   "coordinates": [[float(x), float(y)] for x, y in zip(lon, lat)]}})
    return {"type": "FeatureCollection", "features": feats,
            "properties": {"case": result.get("case"), "target": result.get("target"), "as_of": result.get("as_of")}}


def owner_tracks(store: Any) -> dict[str, tuple[Any, Any]]:
    """Tracks of the most-located identifiers, named as the owner's output names them; protected persons left out."""
    from fusioncell.products.gather import _tracks
    from fusioncell.security.minimise import Minimiser

    m = Minimiser(store)
    shielded = (m.protected & m.known) - m.clear
    return {m.mask(i): v for i, v in _tracks(store).items() if i not in shielded}


def geojson_to_kml(collection: dict[str, Any]) -> str:
    """The same features as KML 2.2 (Points and LineStrings; properties as ExtendedData)."""
    ET.register_namespace("", KML_NS)
    root = ET.Element(f"{{{KML_NS}}}kml")
    doc = ET.SubElement(root, f"{{{KML_NS}}}Document")
    props = collection.get("properties") or {}
    ET.SubElement(doc, f"{{{KML_NS}}}name").text = f"{props.get('case')}: where is {props.get('target')}"
    for f in collection.get("features") or []:
        p = f.get("properties") or {}
        pm = ET.SubElement(doc, f"{{{KML_NS}}}Placemark")
        ET.SubElement(pm, f"{{{KML_NS}}}name").text = _kml_name(p)
        ext = ET.SubElement(pm, f"{{{KML_NS}}}ExtendedData")
        for k, v in p.items():
            d = ET.SubElement(ext, f"{{{KML_NS}}}Data", name=k)
            ET.SubElement(d, f"{{{KML_NS}}}value").text = "" if v is None else str(v)
        g = f["geometry"]
        if g["type"] == "Point":
            pt = ET.SubElement(pm, f"{{{KML_NS}}}Point")
            ET.SubElement(pt, f"{{{KML_NS}}}coordinates").text = _lonlat(g["coordinates"])
        else:
            ls = ET.SubElement(pm, f"{{{KML_NS}}}LineString")
            ET.SubElement(ls, f"{{{KML_NS}}}coordinates").text = " ".join(_lonlat(c) for c in g["coordinates"])
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def write_locate_maps(store: Any, result: dict[str, Any], geojson: Path | None, kml: Path | None) -> None:
    """Write the GeoJSON and/or KML file of a (masked) ``locate`` result."""
    if geojson is None and kml is None:
        return
    for path in (geojson, kml):
        if path is not None and path.is_dir():
            raise UsageError(f"{path}: is a folder; give a file name")
    collection = locate_geojson(store, result)
    if geojson is not None:
        geojson.write_text(json.dumps(collection, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    if kml is not None:
        kml.write_text(geojson_to_kml(collection), encoding="utf-8")


def _point(lon: Any, lat: Any, props: dict[str, Any]) -> dict[str, Any]:
    return {"type": "Feature", "geometry": {"type": "Point", "coordinates": [float(lon), float(lat)]},
            "properties": props}


def _lonlat(c: list[float]) -> str:
    return f"{float(c[0])!r},{float(c[1])!r}"


def _kml_name(p: dict[str, Any]) -> str:
    if p.get("kind") == "track":
        return f"track of {p.get('identifier')}"
    what = f"#{p.get('rank')} {p.get('label') or p.get('kind')}"
    return f"{what} — {p.get('likelihood')} ({p.get('percent')})"
