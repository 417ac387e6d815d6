"""Report figures: valid PNGs, true scale bars, degenerate inputs still draw."""

from __future__ import annotations

import io
import math
import re
from datetime import datetime, timedelta, timezone

import numpy as np
import pytest
from matplotlib import image as mpimg
from matplotlib.backends.backend_agg import FigureCanvasAgg

from fusioncell.products import figures as F
from fusioncell.spacetime.geo import haversine_m

T0 = datetime(2026, 2, 1, tzinfo=timezone.utc)
HYPS = [
    {"rank": 1, "lat": 19.9412, "lon": -103.7520, "radius_m": 150, "probability": 0.62, "label": "compound"},
    {"rank": 2, "lat": 19.9900, "lon": -103.7000, "radius_m": 400, "probability": 0.20, "label": "ranch"},
]


def _png_shape(data: bytes) -> tuple[int, ...]:
    assert data[:8] == F.PNG_SIGNATURE
    return tuple(mpimg.imread(io.BytesIO(data), format="png").shape)


def _track(n: int = 200, seed: int = 3) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return 19.95 + np.cumsum(rng.normal(0, 0.002, n)), -103.72 + np.cumsum(rng.normal(0, 0.002, n))


def test_map_is_a_readable_png_with_two_panels() -> None:
    fig = F.map_figure(HYPS, [{"lat": 19.95, "lon": -103.73, "n_visits": 5, "label": "home"}],
                       {"+5233": _track()}, towers=(np.array([19.9, 20.0]), np.array([-103.8, -103.7])),
                       areas=[{"lat": 19.95, "lon": -103.73, "radius_m": 5000}], sightings=[{"lat": 19.94, "lon": -103.75}])
    assert len(fig.axes) == 2
    h, w, _ = _png_shape(F.to_png(fig))
    assert w >= 900 and h >= 400


def test_map_scale_bar_length_matches_its_label() -> None:
    fig = F.map_figure(HYPS, tracks={"x": _track()})
    F.to_png(fig)
    for ax in fig.axes:
        labels = [t.get_text() for t in ax.texts if re.fullmatch(r"[\d.]+ k?m", t.get_text())]
        assert len(labels) == 1
        value, unit = labels[0].split()
        metres = float(value) * (1000 if unit == "km" else 1)
        bars = [ln for ln in ax.lines if ln.get_linewidth() == 3]
        (x0, x1) = bars[0].get_xdata()
        lat0 = float(np.median(np.concatenate([[h["lat"] for h in HYPS], np.quantile(_track()[0], [0.01, 0.99])])))
        # the bar's length on the ground, by the one geodesy helper (a parallel at lat0: within 1e-6 for km bars)
        drawn_m = float(haversine_m(lat0, x0, lat0, x1))
        assert drawn_m == pytest.approx(metres, rel=1e-5)
        # a fifth of the panel or less, but not a speck
        width_m = float(haversine_m(lat0, ax.get_xlim()[0], lat0, ax.get_xlim()[1]))
        assert width_m / 12.5 <= metres <= width_m / 5 + 1e-6


def test_map_zoom_panel_keeps_a_150m_circle_visible() -> None:
    fig = F.map_figure(HYPS)
    zoom = fig.axes[1]
    span_m = (zoom.get_ylim()[1] - zoom.get_ylim()[0]) * F.M_PER_DEG_LAT
    assert 2_500 <= span_m <= 3_500  # 3 km default window around hypothesis #1


@pytest.mark.parametrize("n", [1, 2])
def test_network_draws_tiny_graphs(n: int) -> None:
    nodes = [{"id": f"n{i}", "score": 0.5} for i in range(n)]
    edges = [{"a": "n0", "b": "n1", "strength": 0.9, "relationship": "partner"}] if n == 2 else []
    h, w, _ = _png_shape(F.to_png(F.network_figure(nodes, edges, focus="n0")))
    assert 200 < h < 3000 and 200 < w < 3000


def test_network_layout_is_deterministic_and_strong_ties_are_short() -> None:
    nodes = [{"id": c} for c in "abcd"]
    edges = [{"a": "a", "b": "b", "strength": 1.0}, {"a": "a", "b": "c", "strength": 0.0},
             {"a": "b", "b": "c", "strength": 0.0}, {"a": "c", "b": "d", "strength": 0.5}]
    one = F.network_figure(nodes, edges)
    two = F.network_figure(nodes, edges)
    assert F.to_png(one) == F.to_png(two)
    # first edge drawn is a-b (strength 1), second a-c (strength 0): strong tie shorter
    ab, ac = one.axes[0].lines[0], one.axes[0].lines[1]
    length = lambda ln: float(np.hypot(*np.diff(np.c_[ln.get_xdata(), ln.get_ydata()], axis=0)[0]))  # noqa: E731
    assert length(ab) < length(ac)
    assert ab.get_linewidth() > ac.get_linewidth()


def test_network_colours_edges_by_relationship() -> None:
    fig = F.network_figure([{"id": "a"}, {"id": "b"}], [{"a": "a", "b": "b", "strength": 0.5, "relationship": "family"}])
    from matplotlib.colors import to_hex

    assert to_hex(fig.axes[0].lines[0].get_color()) == F.RELATIONSHIP_COLOURS["family"]


def test_timeline_rows_and_local_time_axis() -> None:
    stays = [{"identifier": "a", "start": T0, "end": T0 + timedelta(hours=8), "overnight": True, "remote": True},
             {"identifier": "b", "start": T0 + timedelta(days=1), "end": T0 + timedelta(days=1, hours=2)}]
    dark = [{"identifier": "b", "start": T0 + timedelta(days=2), "end": T0 + timedelta(days=3)}]
    meets = [{"start": T0, "end": T0 + timedelta(hours=1), "participants": ["a", "b"]}]
    fig = F.timeline_figure(["a", "b"], stays=stays, dark=dark, meetings=meets, timezone="America/Mexico_City")
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["a", "b"]
    assert "America/Mexico_City" in ax.get_xlabel()
    _png_shape(F.to_png(fig))


def test_empty_inputs_give_a_message_not_an_error() -> None:
    for fig in (F.map_figure([]), F.network_figure([], []), F.timeline_figure([])):
        _png_shape(F.to_png(fig))
        assert any("available" in t.get_text() for ax in fig.axes for t in ax.texts)


def test_hypothesis_chart_adds_elsewhere() -> None:
    fig = F.hypothesis_chart(HYPS)
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert labels[-1] == "elsewhere" and len(labels) == 3
    widths = [p.get_width() for p in fig.axes[0].patches]
    assert widths[-1] == pytest.approx(1 - 0.62 - 0.20)


def test_nice_scale_is_round_and_about_a_fifth() -> None:
    for width in (0.3, 1.0, 7.0, 33.0, 250.0):
        km = F.nice_scale_km(width)
        assert km in F._NICE_KM
        assert km <= width / 5 or km == F._NICE_KM[0]


def test_network_label_avoids_the_nodes_own_edges() -> None:
    coords = np.array([[0.0, 0.0], [1.0, 0.0], [-1.0, 0.0], [0.0, 1.0], [0.0, -1.0]])
    # edges right, left and up: the only free side is below
    assert F._label_direction(coords, 0, [1, 2, 3], coords.mean(axis=0)) == pytest.approx((0.0, -1.0), abs=1e-9)
    # edges up and down: a side slot (narrow text cone) beats top/bottom
    ux, uy = F._label_direction(coords, 0, [3, 4], coords.mean(axis=0))
    assert abs(ux) == pytest.approx(1.0) and abs(uy) < 1e-9


def test_map_without_zoom_when_the_leading_circle_is_large() -> None:
    big = [dict(HYPS[0], radius_m=12_000.0)]
    fig = F.map_figure(big, tracks={"x": _track()})
    assert len(fig.axes) == 1
    ax = fig.axes[0]
    # the whole 12 km circle is inside the region panel
    lat, lon, r = big[0]["lat"], big[0]["lon"], 12_000.0
    assert ax.get_ylim()[0] <= lat - r / F.M_PER_DEG_LAT and ax.get_ylim()[1] >= lat + r / F.M_PER_DEG_LAT
    m_lon = F.M_PER_DEG_LON_EQ * math.cos(math.radians(lat))
    assert ax.get_xlim()[0] <= lon - r / m_lon and ax.get_xlim()[1] >= lon + r / m_lon


def test_hypothesis_labels_do_not_overlap() -> None:
    # five hypotheses 300 m apart: default offsets would stack their labels
    crowd = [{"rank": k + 1, "lat": 19.94 + 0.0027 * (k % 2), "lon": -103.75 + 0.0029 * (k // 2), "radius_m": 100,
              "probability": 0.15} for k in range(5)]
    fig = F.map_figure(crowd, zoom_m=50_000)  # zoom too wide: a single panel
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    renderer = canvas.get_renderer()
    boxes = [t.get_window_extent(renderer) for t in fig.axes[0].texts if t.get_gid() == "hypothesis-label"]
    assert len(boxes) == 5
    assert not any(a.overlaps(b) for i, a in enumerate(boxes) for b in boxes[i + 1:])


def test_module_doctests_pass() -> None:
    import doctest

    result = doctest.testmod(F)
    assert result.attempted >= 2 and result.failed == 0


def test_small_and_large_probabilities_read_as_the_report_table_writes_them() -> None:
    # the table and key judgments say "<1%" and ">99%" (language.percent): a figure saying "0%" contradicts them
    hyps = [dict(HYPS[0], probability=0.996), dict(HYPS[1], probability=0.003)]
    fig = F.map_figure(hyps, zoom_m=50_000)
    labels = sorted(t.get_text() for t in fig.axes[0].texts if t.get_gid() == "hypothesis-label")
    assert labels == ["#1 >99%", "#2 <1%"]
    chart = F.hypothesis_chart(hyps)
    values = [t.get_text() for t in chart.axes[0].texts]
    assert values == [">99% · almost certainly", "<1% · almost no chance", "<1% · almost no chance"]


def test_hypothesis_chart_labels_keep_the_whole_place_name() -> None:
    # a 40-character cut left "#5 site in a built-up area, 1.3 km NW of hi": the reader lost whose home it is
    label = "site in a built-up area, 1.3 km NW of his partner's home"
    chart = F.hypothesis_chart([{"rank": 5, "probability": 0.01, "label": label}])
    shown = chart.axes[0].get_yticklabels()[0].get_text()
    assert shown.replace("\n", " ") == f"#5 {label}" and shown.count("\n") == 1


def test_the_map_draws_the_blind_spot_her_silences_point_at_even_far_from_every_listed_place() -> None:
    """locate's blind spot (a coverage hole 40 km from the listed places, where seven of her silent nights point)
    is on the region panel, hatched and labelled: when *elsewhere* leads, it is where the answer may be."""
    spot = {"lat": 19.60, "lon": -103.75, "radius_m": 3000, "silent_nights": 7, "of_silent_nights": 7}
    fig = F.map_figure(HYPS, blind_spots=[spot])
    ax = fig.axes[0]
    assert ax.get_ylim()[0] <= spot["lat"] <= ax.get_ylim()[1]  # the region reaches it
    hatched = [p for p in ax.patches if p.get_hatch() == "///"]
    assert len(hatched) == 1 and hatched[0].get_center() == pytest.approx((spot["lon"], spot["lat"]))
    # its radius on the ground, by the one geodesy helper
    assert hatched[0].height / 2 * F.M_PER_DEG_LAT == pytest.approx(3000, rel=1e-6)
    assert [t.get_text() for t in ax.texts if t.get_gid() == "blind-spot-label"] == ["blind spot: 7 silent nights"]
    assert "coverage hole her silences point at" in [t.get_text() for t in fig.legends[0].get_texts()]
