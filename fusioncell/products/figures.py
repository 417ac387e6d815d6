"""The report's pictures: map, close-circle network, timeline, hypothesis chart.

Pure drawing functions over plain lists, dicts and numpy arrays (the report
gatherer turns store tables into these). Each returns a
:class:`matplotlib.figure.Figure` built without ``pyplot`` (no global state,
safe in a server); :func:`to_png` turns one into PNG bytes for the HTML and
the PDF takes the figure itself. Nothing here needs a tile server or the
network: the map is drawn from the case's own coordinates, with a scale bar
in kilometres.

>>> fig = hypothesis_chart([{"rank": 1, "probability": 0.7, "label": "farm"}])
>>> to_png(fig)[:8] == PNG_SIGNATURE
True
"""

from __future__ import annotations

import io
import math
import textwrap
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from matplotlib import dates as mdates
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Ellipse, Patch, Rectangle
from matplotlib.text import Annotation

from fusioncell.products.language import estimative, percent
from fusioncell.spacetime.geo import metres_per_degree

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

#: Metres per degree of latitude, and of longitude at the equator (scales with cos(lat)): the one geodesy
#: helper's spherical Earth (spacetime/geo.py), so a scale bar agrees with every distance the analysis prints.
M_PER_DEG_LAT, M_PER_DEG_LON_EQ = metres_per_degree(0.0)

#: Colours of inferred relationships (network chart and legend).
RELATIONSHIP_COLOURS: dict[str, str] = {
    "partner": "#c0392b",
    "family": "#e67e22",
    "friend": "#27ae60",
    "work": "#2980b9",
    "logistics": "#8e44ad",
    "associate": "#16a085",
    "one-off": "#95a5a6",
    "unknown": "#bdc3c7",
}

_TRACK_COLOURS = (
    "#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b",
    "#e377c2", "#17becf", "#bcbd22", "#7f7f7f", "#393b79",
    "#637939", "#8c6d31",
)
_HYP_COLOUR = "#d62728"
_NICE_KM = (0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000)


def to_png(fig: Figure, dpi: int = 110) -> bytes:
    """Render ``fig`` to PNG bytes."""
    FigureCanvasAgg(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight", facecolor="white")
    return buf.getvalue()


def _message(fig: Figure, ax: Axes, text: str) -> None:
    ax.set_axis_off()
    ax.text(0.5, 0.5, text, ha="center", va="center", fontsize=11, color="#555", transform=ax.transAxes, wrap=True)


# -- map -----------------------------------------------------------------------

def nice_scale_km(width_km: float) -> float:
    """A round scale-bar length of about a fifth of ``width_km``.

    >>> nice_scale_km(10.0), nice_scale_km(47.0), nice_scale_km(0.9)
    (2, 5, 0.1)
    """
    goal = max(width_km, 1e-6) / 5.0
    best = _NICE_KM[0]
    for km in _NICE_KM:
        if km <= goal:
            best = km
    return best


def _scale_bar(ax: Axes, lat0: float) -> None:
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    m_per_deg_lon = M_PER_DEG_LON_EQ * math.cos(math.radians(lat0))
    width_km = (x1 - x0) * m_per_deg_lon / 1000.0
    km = nice_scale_km(width_km)
    length_deg = km * 1000.0 / m_per_deg_lon
    xs = x0 + 0.05 * (x1 - x0)
    ys = y0 + 0.06 * (y1 - y0)
    ax.plot([xs, xs + length_deg], [ys, ys], color="black", lw=3, solid_capstyle="butt", zorder=20)
    label = f"{km:g} km" if km >= 1 else f"{km * 1000:g} m"
    ax.text(xs + length_deg / 2, ys + 0.015 * (y1 - y0), label, ha="center", va="bottom", fontsize=9,
            zorder=20, bbox={"facecolor": "white", "alpha": 0.7, "edgecolor": "none", "pad": 1})


def _circle(lat: float, lon: float, radius_m: float, lat0: float, **kw: Any) -> Ellipse:
    width = 2 * radius_m / (M_PER_DEG_LON_EQ * math.cos(math.radians(lat0)))
    height = 2 * radius_m / M_PER_DEG_LAT
    return Ellipse((lon, lat), width, height, **kw)


def _extent(
    lats: np.ndarray, lons: np.ndarray, lat0: float, pad_frac: float = 0.08, min_m: float = 1000.0
) -> tuple[float, float, float, float]:
    """Square-ish bounds (lon0, lon1, lat0, lat1) around points, at least ``min_m`` wide."""
    la0, la1 = float(np.min(lats)), float(np.max(lats))
    lo0, lo1 = float(np.min(lons)), float(np.max(lons))
    cos = math.cos(math.radians(lat0))
    h_m = (la1 - la0) * M_PER_DEG_LAT
    w_m = (lo1 - lo0) * M_PER_DEG_LON_EQ * cos
    side = max(h_m, w_m, min_m) * (1 + 2 * pad_frac)
    cla, clo = (la0 + la1) / 2, (lo0 + lo1) / 2
    dla = side / 2 / M_PER_DEG_LAT
    dlo = side / 2 / (M_PER_DEG_LON_EQ * cos)
    return clo - dlo, clo + dlo, cla - dla, cla + dla


#: Offsets (points) tried in turn for a hypothesis label until it overlaps no other.
_LABEL_OFFSETS = ((12, 12), (12, -18), (-62, 12), (-62, -18), (-25, 24), (-25, -30), (30, 0), (-80, 0),
                  (24, 34), (24, -40), (-86, 34), (-86, -40))


def _declutter(ax: Axes) -> None:
    """Move hypothesis labels (annotations with an arrow) until no two overlap.

    Greedy, best-ranked first: each label keeps the first of
    :data:`_LABEL_OFFSETS` where its box meets no label already placed (the
    zoom-box label is placed first and never moves). Needs the axes' limits
    and aspect set.
    """
    fig = ax.get_figure()
    if not isinstance(fig, Figure):
        return
    canvas = fig.canvas if isinstance(fig.canvas, FigureCanvasAgg) else FigureCanvasAgg(fig)
    renderer = canvas.get_renderer()  # type: ignore[no-untyped-call]
    ax.apply_aspect()
    anns = [t for t in ax.texts if isinstance(t, Annotation) and t.get_visible()]
    fixed = [a for a in anns if a.get_gid() == "zoom-label"]
    movable = [a for a in anns if a.get_gid() == "hypothesis-label"]
    placed = [a.get_window_extent(renderer) for a in fixed]
    for ann in movable:
        for offset in _LABEL_OFFSETS:
            ann.xyann = offset
            box = ann.get_window_extent(renderer)
            if not any(box.overlaps(other) for other in placed):
                break
        placed.append(ann.get_window_extent(renderer))


def _draw_layers(
    ax: Axes,
    lat0: float,
    hypotheses: Sequence[Mapping[str, Any]],
    places: Sequence[Mapping[str, Any]],
    tracks: Mapping[str, tuple[np.ndarray, np.ndarray]],
    track_labels: Mapping[str, str],
    towers: tuple[np.ndarray, np.ndarray] | None,
    areas: Sequence[Mapping[str, Any]],
    sightings: Sequence[Mapping[str, Any]],
    *,
    blind_spots: Sequence[Mapping[str, Any]] = (),
    label_places: int,
    zoom: bool,
    unlabelled: tuple[float, float, float, float] | None = None,
    fill_max_m: float | None = None,
) -> list[Any]:
    handles: list[Any] = []
    if towers is not None and len(towers[0]):
        ax.scatter(towers[1], towers[0], marker="^", s=14, c="#9e9e9e", alpha=0.6, zorder=2, linewidths=0)
        handles.append(Line2D([], [], marker="^", color="#9e9e9e", ls="", label="cell site"))
    for area in areas:
        ax.add_patch(_circle(area["lat"], area["lon"], float(area.get("radius_m") or 0.0), lat0,
                             fill=False, ls="--", ec="#6d4c41", lw=1.0, zorder=3))
    if areas:
        handles.append(Line2D([], [], color="#6d4c41", ls="--", label="informant area"))
    for b in blind_spots:  # where her silent nights point: no phone can show what is there
        ax.add_patch(_circle(float(b["lat"]), float(b["lon"]), float(b.get("radius_m") or 0.0), lat0,
                             facecolor="none", hatch="///", ec="#616161", lw=1.0, zorder=3))
        if b.get("silent_nights") is not None:
            # at its centre: nothing observed is there, by what a blind spot is
            ax.annotate(f"blind spot: {b['silent_nights']} silent nights", (float(b["lon"]), float(b["lat"])),
                        ha="center", va="center", fontsize=7, color="#424242", zorder=6,
                        annotation_clip=True, gid="blind-spot-label",
                        bbox={"facecolor": "white", "alpha": 0.85, "edgecolor": "none", "pad": 1.0})
    if blind_spots:
        handles.append(Patch(facecolor="none", hatch="///", edgecolor="#616161", label="coverage hole her silences point at"))
    for i, (ident, (lat, lon)) in enumerate(tracks.items()):
        colour = _TRACK_COLOURS[i % len(_TRACK_COLOURS)]
        # rasterised: thousands of fixes stay light in the PDF. In the zoom,
        # points only: lines between noisy fixes a few hundred metres apart
        # turn into a hairball that hides the hypotheses.
        if not zoom:
            ax.plot(lon, lat, color=colour, lw=0.6, alpha=0.35, zorder=4, rasterized=True)
        ax.scatter(lon, lat, s=3 if not zoom else 5, color=colour, alpha=0.5 if not zoom else 0.3, zorder=4,
                   linewidths=0, rasterized=True)
        handles.append(Line2D([], [], color=colour, lw=2, label=f"track: {track_labels.get(ident, ident)}"))
    if places:
        plat = np.array([float(p["lat"]) for p in places])
        plon = np.array([float(p["lon"]) for p in places])
        visits = np.array([float(p.get("n_visits") or 1) for p in places])
        sizes = 20 + 80 * np.sqrt(visits / max(float(visits.max()), 1.0))
        ax.scatter(plon, plat, s=sizes, marker="s", facecolor="#fff59d", edgecolor="#5d4037", lw=0.8, zorder=5)
        handles.append(Line2D([], [], marker="s", color="#5d4037", markerfacecolor="#fff59d", ls="",
                              label="place (size: visits)"))
        if label_places:
            order = np.argsort(-visits)[:label_places]
            for j in order:
                text = str(places[int(j)].get("label") or "")
                if text:
                    ax.annotate(text, (plon[j], plat[j]), xytext=(5, -10), textcoords="offset points",
                                fontsize=7, color="#5d4037", zorder=6, annotation_clip=True)
    if sightings:
        ax.scatter([float(s["lon"]) for s in sightings], [float(s["lat"]) for s in sightings],
                   marker="x", s=30, c="#004d40", zorder=6, linewidths=1.2)
        handles.append(Line2D([], [], marker="x", color="#004d40", ls="", label="sighting"))
    offsets = ((12, 12), (12, -18), (-60, 12), (-60, -18), (20, 28))
    for k, h in enumerate(hypotheses):
        p = float(h.get("probability") or 0.0)
        r = float(h.get("radius_m") or 0.0)
        # a circle wider than the panel would tint all of it: outline only
        filled = fill_max_m is None or r <= fill_max_m
        ax.add_patch(_circle(float(h["lat"]), float(h["lon"]), r, lat0,
                             facecolor=_HYP_COLOUR if filled else "none", alpha=0.18 + 0.4 * p if filled else 0.8,
                             edgecolor=_HYP_COLOUR, lw=1.5, ls="-" if filled else "--", zorder=7))
        ax.scatter([h["lon"]], [h["lat"]], marker="*", s=90 if k == 0 else 50, c=_HYP_COLOUR, edgecolors="black",
                   linewidths=0.5, zorder=8)
        if unlabelled is not None and unlabelled[0] <= float(h["lon"]) <= unlabelled[1] \
                and unlabelled[2] <= float(h["lat"]) <= unlabelled[3]:
            continue  # labelled in the zoom panel instead
        dx, dy = offsets[k % len(offsets)]
        ax.annotate(f"#{h.get('rank', k + 1)} {percent(min(max(p, 0.0), 1.0))}", (h["lon"], h["lat"]), xytext=(dx, dy),
                    textcoords="offset points", fontsize=9 if zoom or k == 0 else 8, fontweight="bold", gid="hypothesis-label",
                    color=_HYP_COLOUR, zorder=9, annotation_clip=True,
                    bbox={"facecolor": "white", "alpha": 0.85, "edgecolor": _HYP_COLOUR, "pad": 1.5},
                    arrowprops={"arrowstyle": "-", "color": _HYP_COLOUR, "lw": 0.8})
    if hypotheses:
        handles.append(Patch(facecolor=_HYP_COLOUR, alpha=0.4, edgecolor=_HYP_COLOUR,
                             label="hypothesis (radius, probability)"))
    return handles


def _positions(hypotheses: Sequence[Mapping[str, Any]], places: Sequence[Mapping[str, Any]],
               tracks: Mapping[str, tuple[np.ndarray, np.ndarray]], areas: Sequence[Mapping[str, Any]],
               sightings: Sequence[Mapping[str, Any]]) -> tuple[np.ndarray, np.ndarray]:
    """Every position the map must show (tracks by their 1-99 % quantiles)."""
    lat_parts = [np.asarray([float(h["lat"]) for h in hypotheses] + [float(p["lat"]) for p in places]
                            + [float(a["lat"]) for a in areas] + [float(s["lat"]) for s in sightings])]
    lon_parts = [np.asarray([float(h["lon"]) for h in hypotheses] + [float(p["lon"]) for p in places]
                            + [float(a["lon"]) for a in areas] + [float(s["lon"]) for s in sightings])]
    for lat, lon in tracks.values():
        if len(lat):
            # Robust bounds: a few stray fixes must not shrink everything else.
            lat_parts.append(np.quantile(np.asarray(lat, dtype=float), [0.01, 0.99]))
            lon_parts.append(np.quantile(np.asarray(lon, dtype=float), [0.01, 0.99]))
    all_lat = np.concatenate(lat_parts) if lat_parts else np.array([])
    all_lon = np.concatenate(lon_parts) if lon_parts else np.array([])
    return all_lat, all_lon


def _zoom_box(hypotheses: Sequence[Mapping[str, Any]], zoom_m: float, m_per_deg_lon: float,
              region_dlat: float) -> tuple[tuple[float, float, float, float] | None, float]:
    """(lon0, lon1, lat0, lat1) of the zoom around hypothesis #1, or None when it would show most of the region;
    and its half side in metres."""
    half_m = 0.0
    box: tuple[float, float, float, float] | None = None
    if len(hypotheses):
        top = hypotheses[0]
        half_m = max(zoom_m, 4.0 * float(top.get("radius_m") or 0.0)) / 2
        dla = half_m / M_PER_DEG_LAT
        dlo = half_m / m_per_deg_lon
        # A zoom only helps when it shows much less than the region.
        if 2 * dla < 0.5 * region_dlat:
            box = (float(top["lon"]) - dlo, float(top["lon"]) + dlo, float(top["lat"]) - dla, float(top["lat"]) + dla)
    return box, half_m


def _mark_zoom(ax: Any, box: tuple[float, float, float, float], hypotheses: Sequence[Mapping[str, Any]]) -> None:
    """The zoom's outline on the region panel, labelled with the hypotheses inside it."""
    inside = [str(h.get("rank", i + 1)) for i, h in enumerate(hypotheses)
              if box[0] <= float(h["lon"]) <= box[1] and box[2] <= float(h["lat"]) <= box[3]]
    ax.add_patch(Rectangle((box[0], box[2]), box[1] - box[0], box[3] - box[2], fill=False, ec="black", lw=0.9,
                           ls=":", zorder=10))
    ax.annotate("#" + ", #".join(inside) + " (zoom →)", (box[1], box[3]), xytext=(3, 3), textcoords="offset points",
                gid="zoom-label",
                fontsize=8, fontweight="bold", color=_HYP_COLOUR, zorder=11, annotation_clip=True,
                bbox={"facecolor": "white", "alpha": 0.85, "edgecolor": "black", "pad": 1.5, "ls": ":"})


def map_figure(
    hypotheses: Sequence[Mapping[str, Any]],
    places: Sequence[Mapping[str, Any]] = (),
    tracks: Mapping[str, tuple[np.ndarray, np.ndarray]] | None = None,
    *,
    track_labels: Mapping[str, str] | None = None,
    towers: tuple[np.ndarray, np.ndarray] | None = None,
    areas: Sequence[Mapping[str, Any]] = (),
    sightings: Sequence[Mapping[str, Any]] = (),
    zoom_m: float = 3000.0,
    blind_spots: Sequence[Mapping[str, Any]] = (),
) -> Figure:
    """The region: places, tracks, cell sites, informant areas and the hypotheses.

    Two panels when there is a leading hypothesis small against the region:
    the whole region (every hypothesis circle whole), and a zoom of
    ``zoom_m`` (at least four radii) around hypothesis #1 so a 150 m circle
    is visible; one panel when such a zoom would show most of the region. Coordinates are WGS84; each panel keeps true proportions
    (longitude scaled by cos latitude) and has a scale bar in km.

    Parameters
    ----------
    hypotheses : sequence of dict
        ``lat``, ``lon``, ``radius_m``, ``probability``, ``rank``; drawn as
        circles of their radius, labelled "#rank p%", best first.
    places : sequence of dict
        ``lat``, ``lon``, optional ``n_visits`` (marker size) and ``label``.
    tracks : mapping identifier -> (lat array, lon array)
        Fixes of monitored identifiers in time order.
    track_labels : mapping identifier -> display name (masked if need be).
    towers : (lat array, lon array), optional
        Cell-site positions.
    areas : sequence of dict
        Informant ``located_near`` areas (``lat``, ``lon``, ``radius_m``).
    sightings : sequence of dict
        ``lat``, ``lon`` of sightings.
    zoom_m : float
        Minimum side of the zoom panel in metres.
    blind_spots : sequence of dict
        locate's ``blind_spots`` (``lat``, ``lon``, ``radius_m``, ``silent_nights``): the coverage holes her
        silent nights point at, hatched, so a place nothing observed is on the map beside the listed ones.
    """
    tracks = dict(tracks or {})
    labels = dict(track_labels or {})
    all_lat, all_lon = _positions(hypotheses, places, tracks, [*areas, *blind_spots], sightings)
    if all_lat.size == 0:
        fig = Figure(figsize=(8.0, 7.0))
        _message(fig, fig.add_subplot(1, 1, 1), "No positions available for a map.")
        return fig
    lat0 = float(np.median(all_lat))
    aspect = 1.0 / math.cos(math.radians(lat0))
    m_per_deg_lon = M_PER_DEG_LON_EQ * math.cos(math.radians(lat0))
    # The region shows every hypothesis circle (and blind spot) whole, not only its centre.
    circles = [*hypotheses, *blind_spots]
    radii = np.array([float(h.get("radius_m") or 0.0) for h in circles])
    if circles:
        hlat = np.array([float(h["lat"]) for h in circles])
        hlon = np.array([float(h["lon"]) for h in circles])
        all_lat = np.concatenate([all_lat, hlat - radii / M_PER_DEG_LAT, hlat + radii / M_PER_DEG_LAT])
        all_lon = np.concatenate([all_lon, hlon - radii / m_per_deg_lon, hlon + radii / m_per_deg_lon])
    lo0, lo1, la0, la1 = _extent(all_lat, all_lon, lat0)
    box, half_m = _zoom_box(hypotheses, zoom_m, m_per_deg_lon, la1 - la0)
    zoomed = box is not None
    fig = Figure(figsize=(13.0, 6.6) if zoomed else (8.0, 7.0))
    axes = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.0, 1.0]}) if zoomed else [fig.add_subplot(1, 1, 1)]
    ax = axes[0]
    handles = _draw_layers(ax, lat0, hypotheses, places, tracks, labels, towers, areas, sightings,
                           blind_spots=blind_spots, label_places=0 if zoomed else 6, zoom=not zoomed, unlabelled=box)
    ax.set_xlim(lo0, lo1)
    ax.set_ylim(la0, la1)
    ax.set_aspect(aspect)
    ax.set_title("Region", fontsize=11)
    ax.set_xlabel("longitude (°)")
    ax.set_ylabel("latitude (°)")
    ax.tick_params(labelsize=8)
    ax.ticklabel_format(useOffset=False, style="plain")
    ax.grid(True, color="#eeeeee", lw=0.6)
    _scale_bar(ax, lat0)
    if box is not None:
        _mark_zoom(ax, box, hypotheses)
        zax = axes[1]
        _draw_layers(zax, lat0, hypotheses, places, tracks, labels, towers, areas, sightings,
                     blind_spots=blind_spots, label_places=6, zoom=True, fill_max_m=half_m)
        zax.set_xlim(box[0], box[1])
        zax.set_ylim(box[2], box[3])
        zax.set_aspect(aspect)
        zax.set_title(f"Around hypothesis #{hypotheses[0].get('rank', 1)}", fontsize=11)
        zax.set_xlabel("longitude (°)")
        zax.tick_params(labelsize=8)
        zax.ticklabel_format(useOffset=False, style="plain")
        zax.grid(True, color="#eeeeee", lw=0.6)
        _scale_bar(zax, lat0)
    for each in fig.axes:
        _declutter(each)
    if handles:
        fig.legend(handles=handles, loc="lower center", ncol=min(4, len(handles)), fontsize=8, frameon=False,
                   bbox_to_anchor=(0.5, 0.0))
        fig.subplots_adjust(bottom=0.14, top=0.95, wspace=0.12)
    return fig


# -- network -------------------------------------------------------------------

#: Candidate label positions around a node: (angle, half-span of the text box
#: seen from the node, both in radians). Horizontal text is wide, so a label
#: above or below blocks a wider cone of edges than one to the side.
_LABEL_SLOTS = (
    (-math.pi / 2, math.radians(55)), (math.pi / 2, math.radians(55)),
    (0.0, math.radians(18)), (math.pi, math.radians(18)),
    (-math.pi / 4, math.radians(30)), (-3 * math.pi / 4, math.radians(30)),
    (math.pi / 4, math.radians(30)), (3 * math.pi / 4, math.radians(30)),
)


def _label_direction(coords: np.ndarray, i: int, nbrs: Sequence[int], middle: np.ndarray) -> tuple[float, float]:
    """Unit vector for node ``i``'s label: the slot whose text cone is farthest from its edges.

    A node without edges labels below it.
    """
    if not nbrs:
        return (0.0, -1.0)
    d = coords[list(nbrs)] - coords[i]
    angles = np.arctan2(d[:, 1], d[:, 0])
    best, best_score = _LABEL_SLOTS[0][0], -math.inf
    for angle, half_span in _LABEL_SLOTS:  # 8 slots x a node's few edges
        diff = np.abs((angles - angle + math.pi) % (2 * math.pi) - math.pi)
        score = float(diff.min()) - half_span
        if score > best_score + 1e-9:
            best, best_score = angle, score
    return math.cos(best), math.sin(best)


def network_figure(
    nodes: Sequence[Mapping[str, Any]],
    edges: Sequence[Mapping[str, Any]],
    *,
    focus: str | None = None,
    seed_layout: bool = True,
) -> Figure:
    """The close circle as a graph: who talks to whom, how strongly, as what.

    Parameters
    ----------
    nodes : sequence of dict
        ``id``, optional ``label`` (display name, already masked if need
        be) and ``score`` (key-player score in [0, 1]; node size).
    edges : sequence of dict
        ``a``, ``b``, ``strength`` in [0, 1] (line width) and
        ``relationship`` (colour, see :data:`RELATIONSHIP_COLOURS`).
    focus : str, optional
        The node drawn as the centre of attention (a black ring).
    seed_layout : bool
        Start Kamada–Kawai from a circle, which makes the picture
        deterministic for the same input.

    The layout is igraph's Kamada–Kawai with edge length ``1 / (0.2 +
    strength)``, so strong ties sit close together.
    """
    import igraph as ig

    fig = Figure(figsize=(9.0, 7.5))
    ax = fig.add_subplot(1, 1, 1)
    ids = [str(n["id"]) for n in nodes]
    index = {v: i for i, v in enumerate(ids)}
    kept = [e for e in edges if str(e["a"]) in index and str(e["b"]) in index and str(e["a"]) != str(e["b"])]
    if not ids:
        _message(fig, ax, "No network available.")
        return fig
    g = ig.Graph(n=len(ids), edges=[(index[str(e["a"])], index[str(e["b"])]) for e in kept])
    strength = np.clip(np.array([float(e.get("strength") or 0.0) for e in kept], dtype=float), 0.0, 1.0)
    if g.vcount() == 1:
        coords = np.zeros((1, 2))
    else:
        start = g.layout_circle().coords if seed_layout else None
        lengths = list(1.0 / (0.2 + strength)) if len(kept) else None
        coords = np.array(g.layout_kamada_kawai(seed=start, weights=lengths).coords, dtype=float)
    used_rel: dict[str, str] = {}
    for e, s in zip(kept, strength):
        rel = str(e.get("relationship") or "unknown")
        colour = RELATIONSHIP_COLOURS.get(rel, RELATIONSHIP_COLOURS["unknown"])
        used_rel[rel] = colour
        i, j = index[str(e["a"])], index[str(e["b"])]
        ax.plot(coords[[i, j], 0], coords[[i, j], 1], color=colour, lw=0.6 + 5.0 * s, alpha=0.85, zorder=1,
                solid_capstyle="round")
    score = np.clip(np.array([float(n.get("score") or 0.0) for n in nodes]), 0.0, 1.0)
    sizes = 120 + 900 * score
    ax.scatter(coords[:, 0], coords[:, 1], s=sizes, c="#eceff1", edgecolors="#37474f", linewidths=1.0, zorder=2)
    if focus is not None and focus in index:
        f = index[focus]
        ax.scatter([coords[f, 0]], [coords[f, 1]], s=sizes[f] + 250, facecolors="none", edgecolors="black",
                   linewidths=2.5, zorder=3)
    # Each label sits in the widest angular gap between the node's own edges.
    middle = coords.mean(axis=0)
    focus_i = index.get(focus) if focus is not None else None
    for i, n in enumerate(nodes):
        ux, uy = _label_direction(coords, i, g.neighbors(i), middle)
        r_pt = math.sqrt(sizes[i] + (250 if i == focus_i else 0)) / 2 + 3
        ax.annotate(str(n.get("label") or n["id"]), (coords[i, 0], coords[i, 1]),
                    xytext=(ux * r_pt, uy * r_pt), textcoords="offset points",
                    ha="left" if ux > 0.35 else "right" if ux < -0.35 else "center",
                    va="bottom" if uy > 0.35 else "top" if uy < -0.35 else "center",
                    fontsize=8, zorder=4, bbox={"facecolor": "white", "alpha": 0.75, "edgecolor": "none", "pad": 0.5})
    # Square limits with a floor, so a two-node graph (zero height) stays drawable.
    centre = (coords.max(axis=0) + coords.min(axis=0)) / 2
    half = max(float(np.ptp(coords[:, 0])), float(np.ptp(coords[:, 1])), 1.0) / 2 * 1.3
    ax.set_xlim(centre[0] - half, centre[0] + half)
    ax.set_ylim(centre[1] - half, centre[1] + half)
    ax.set_aspect("equal")
    ax.set_axis_off()
    handles: list[Any] = [Line2D([], [], color=c, lw=3, label=r) for r, c in sorted(used_rel.items())]
    handles.append(Line2D([], [], marker="o", color="#37474f", markerfacecolor="#eceff1", ls="", markersize=12,
                          label="size: key-player score"))
    if focus is not None and focus in index:
        handles.append(Line2D([], [], marker="o", color="black", markerfacecolor="none", ls="", markersize=14,
                              markeredgewidth=2, label="focus"))
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8, frameon=False,
              title="relationship (width: tie strength)", title_fontsize=8)
    return fig


# -- timeline ------------------------------------------------------------------

def _local_nums(times: Sequence[datetime], tz: ZoneInfo) -> np.ndarray:
    return np.asarray(mdates.date2num([t.astimezone(tz) for t in times]), dtype=float)  # type: ignore[no-untyped-call]


def timeline_figure(
    rows: Sequence[str],
    *,
    row_labels: Mapping[str, str] | None = None,
    stays: Sequence[Mapping[str, Any]] = (),
    dark: Sequence[Mapping[str, Any]] = (),
    meetings: Sequence[Mapping[str, Any]] = (),
    timezone: str = "UTC",
) -> Figure:
    """Stays, going-dark intervals and meetings of each identifier over time.

    Parameters
    ----------
    rows : sequence of str
        Identifiers, one row each, top to bottom.
    row_labels : mapping identifier -> display name.
    stays : sequence of dict
        ``identifier``, ``start``, ``end`` (aware datetimes), optional
        ``overnight`` (bool, drawn darker) and ``remote`` (bool, hatched).
    dark : sequence of dict
        ``identifier``, ``start``, ``end``: no events at all.
    meetings : sequence of dict
        ``start``, ``end``, ``participants`` (identifiers): a vertical band
        joining the rows that met.
    timezone : str
        IANA zone for the time axis (the case's local time).
    """
    tz = ZoneInfo(timezone)
    labels = dict(row_labels or {})
    order = {r: i for i, r in enumerate(rows)}
    height = max(2.8, 0.42 * len(rows) + 1.8)
    fig = Figure(figsize=(12.0, height))
    ax = fig.add_subplot(1, 1, 1)
    if not rows:
        _message(fig, ax, "No timeline available.")
        return fig

    def draw(items: Sequence[Mapping[str, Any]], y_off: float, h: float, **style: Any) -> None:
        items = [s for s in items if s.get("identifier") in order and s.get("start") and s.get("end")]
        if not items:
            return
        starts = _local_nums([s["start"] for s in items], tz)
        ends = _local_nums([s["end"] for s in items], tz)
        ys = np.array([order[s["identifier"]] for s in items], dtype=float)
        ax.barh(ys + y_off, np.maximum(ends - starts, 1.0 / 96), left=starts, height=h, **style)

    plain = [s for s in stays if not s.get("overnight")]
    night = [s for s in stays if s.get("overnight") and not s.get("remote")]
    remote_night = [s for s in stays if s.get("overnight") and s.get("remote")]
    draw(plain, 0.0, 0.5, color="#90caf9", edgecolor="none", zorder=2)
    draw(night, 0.0, 0.5, color="#1565c0", edgecolor="none", zorder=2)
    draw(remote_night, 0.0, 0.5, color="#c62828", edgecolor="none", zorder=2)
    draw(dark, 0.0, 0.5, color="#212121", edgecolor="none", alpha=0.85, hatch="///", zorder=3)
    meet = [m for m in meetings if m.get("start") and m.get("end")]
    for m in meet:  # a meeting list is short: one band per meeting
        ys = sorted(order[p] for p in m.get("participants", ()) if p in order)
        if not ys:
            continue
        t0, t1 = _local_nums([m["start"], m["end"]], tz)
        mid = (t0 + t1) / 2
        ax.plot([mid, mid], [ys[0] - 0.32, ys[-1] + 0.32], color="#ff8f00", lw=2.0, zorder=4, alpha=0.9)
        ax.scatter([mid] * len(ys), ys, marker="D", s=28, color="#ff8f00", edgecolors="black", linewidths=0.4,
                   zorder=5)
    ax.set_yticks(range(len(rows)))
    ax.set_yticklabels([labels.get(r, r) for r in rows], fontsize=8)
    ax.set_ylim(len(rows) - 0.5, -0.5)
    locator = mdates.AutoDateLocator(tz=tz, maxticks=12)  # type: ignore[no-untyped-call]
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator, tz=tz))  # type: ignore[no-untyped-call]
    ax.tick_params(axis="x", labelsize=8)
    ax.grid(True, axis="x", color="#eeeeee", lw=0.6)
    ax.set_xlabel(f"local time ({timezone})", fontsize=9)
    handles = [
        Patch(color="#90caf9", label="stay"),
        Patch(color="#1565c0", label="overnight stay"),
        Patch(color="#c62828", label="overnight, remote place"),
        Patch(facecolor="#212121", hatch="///", label="going dark (no events)"),
        Line2D([], [], color="#ff8f00", marker="D", lw=2, label="meeting"),
    ]
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.14 if len(rows) > 3 else -0.25),
              ncol=5, fontsize=8, frameon=False)
    return fig


# -- hypotheses ----------------------------------------------------------------

def _bar_label(text: str, width: int = 34) -> str:
    """A bar's label on at most two lines, cut at a word with "…" only when longer than both.

    >>> print(_bar_label("#5 site in a built-up area, 1.3 km NW of his partner's home"))
    #5 site in a built-up area, 1.3 km
    NW of his partner's home
    """
    lines = textwrap.wrap(text.strip(), width) or [""]
    if len(lines) > 2:
        lines = [lines[0], textwrap.shorten(" ".join(lines[1:]), width, placeholder=" …")]
    return "\n".join(lines)


def hypothesis_chart(hypotheses: Sequence[Mapping[str, Any]], *, elsewhere: float | None = None) -> Figure:
    """Horizontal bars of each hypothesis' probability, with the ICD 203 band edges.

    ``elsewhere`` (default: one minus the listed total) is drawn as a grey bar.
    """
    fig = Figure(figsize=(8.0, 0.5 * (len(hypotheses) + 1) + 1.2))
    ax = fig.add_subplot(1, 1, 1)
    ps = [float(h.get("probability") or 0.0) for h in hypotheses]
    rest = max(0.0, 1.0 - sum(ps)) if elsewhere is None else float(elsewhere)
    names = [_bar_label(f"#{h.get('rank', i + 1)} {h.get('label') or ''}") for i, h in enumerate(hypotheses)]
    names.append("elsewhere")
    vals = ps + [rest]
    colours = [_HYP_COLOUR] * len(ps) + ["#9e9e9e"]
    y = np.arange(len(vals))
    ax.barh(y, vals, color=colours, alpha=0.8)
    for yi, v in zip(y, vals):
        ax.text(min(v + 0.01, 0.80), float(yi), f"{percent(min(max(v, 0.0), 1.0))} · {estimative(min(max(v, 0.0), 1.0))}",
                va="center", fontsize=8)
    for edge in (0.05, 0.20, 0.45, 0.55, 0.80, 0.95):
        ax.axvline(edge, color="#cccccc", lw=0.6, zorder=0)
    ax.set_yticks(y)
    ax.set_yticklabels(names, fontsize=8)
    ax.set_ylim(len(vals) - 0.5, -0.5)
    ax.set_xlim(0, 1)
    ax.set_xlabel("probability (grey lines: ICD 203 band edges)", fontsize=8)
    ax.tick_params(axis="x", labelsize=8)
    return fig


# -- text pages (PDF) -----------------------------------------------------------

_A4 = (8.27, 11.69)


#: Usable width of an A4 text page in points (text starts at x=0.07, keeps a 0.05 right margin).
_TEXT_WIDTH_PT = (1.0 - 0.07 - 0.05) * _A4[0] * 72


def _wrap_to_fit(text: str, width: int, size: float, weight: str, family: str) -> list[str]:
    """Wrap ``text`` at ``width`` characters, narrowing until the widest line, measured in the font, fits the page.

    Long words (identifiers, hashes) are broken; a monospace table keeps its
    columns and continues an over-long row on an indented line.
    """
    from matplotlib.font_manager import FontProperties
    from matplotlib.textpath import TextToPath

    measure = TextToPath()
    prop = FontProperties(family=family, weight=weight, size=size)
    indent = "    " if family == "monospace" else ""
    while True:
        lines: list[str] = []
        for para in text.split("\n"):
            lines.extend(textwrap.wrap(para, width=width, subsequent_indent=indent, drop_whitespace=family != "monospace")
                         or [""])
        widest = max((measure.get_text_width_height_descent(ln, prop, ismath=False)[0] for ln in lines if ln), default=0.0)
        if widest <= _TEXT_WIDTH_PT or width <= 20:
            return lines
        width = max(20, int(width * min(0.95, _TEXT_WIDTH_PT / widest)))


#: Lines of the block after a heading that must fit on the heading's page (a heading is never left alone at
#: the foot of a page, its table on the next).
KEEP_WITH_HEADING = 3


def text_pages(blocks: Sequence[tuple[str, str]], header: str) -> list[Figure]:
    """Lay out (style, text) blocks on A4 pages (for the PDF); style is h1, h2, p or mono.

    ``header`` (the marking) is printed at the top of every page. A block longer than what is left of a
    page continues on the next (a long evidence table ran off the foot of one page); a heading starts a new
    page unless it and the first :data:`KEEP_WITH_HEADING` lines of the next block fit.
    """
    sizes = {"h1": (15, 70, "bold"), "h2": (12, 90, "bold"), "p": (9.5, 105, "normal"), "mono": (7.5, 130, "normal")}
    laid = []
    for style, text in blocks:
        size, width, weight = sizes[style]
        family = "monospace" if style == "mono" else "sans-serif"
        laid.append((style, size, weight, family, _wrap_to_fit(text, width, size, weight, family),
                     size / 72 / _A4[1] * 1.35))
    pages: list[Figure] = []
    fig: Figure | None = None
    y, top, foot = 0.0, 0.955, 0.04

    def new_page() -> Figure:
        page = Figure(figsize=_A4)
        page.text(0.5, 0.985, header, ha="center", va="top", fontsize=8, weight="bold", color="#8a5a00")
        pages.append(page)
        return page

    for k, (style, size, weight, family, lines, line_h) in enumerate(laid):
        gap = 0.012 if style.startswith("h") else 0.006
        needed = line_h * len(lines) + gap + (0.008 if style.startswith("h") else 0.0)
        if style.startswith("h") and k + 1 < len(laid):
            nxt = laid[k + 1]
            needed += nxt[5] * min(KEEP_WITH_HEADING, len(nxt[4]))
        while lines:
            fits = max(0, int((y - foot - (0.008 if style.startswith("h") else 0.0)) / line_h))
            if fig is None or (fits == 0 and y < top) or (style.startswith("h") and y - needed < foot and y < top):
                fig, y = new_page(), top
                continue
            if style.startswith("h"):
                y -= 0.008
            if fits < len(lines):  # break before an item, not inside it (its indented lines go over with it)
                keep = fits
                while keep > 0 and lines[keep][:1] == " ":
                    keep -= 1
                if keep == 0 and y < top:  # the item does not fit what is left of this page: start the next
                    fig, y = new_page(), top
                    continue
                fits = keep or fits  # an item longer than a whole page is split where the page ends
            part, lines = lines[:max(fits, 1)], lines[max(fits, 1):]  # a fresh page takes at least one line
            fig.text(0.07, y, "\n".join(part), ha="left", va="top", fontsize=size, weight=weight, family=family,
                     linespacing=1.25)
            y -= line_h * len(part)
            needed = 0.0  # the rest of a block continues page after page
        y -= gap
    return pages
