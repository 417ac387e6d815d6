"""PDF text pages: no line runs off the right edge of an A4 page, whatever the style or the word length."""

from __future__ import annotations

from matplotlib.backends.backend_agg import FigureCanvasAgg

from fusioncell.products.figures import text_pages


def _right_edges(blocks: list[tuple[str, str]]) -> list[tuple[float, float]]:
    out = []
    for page in text_pages(blocks, "TLP:AMBER"):
        canvas = FigureCanvasAgg(page)
        renderer = canvas.get_renderer()
        for t in page.texts:
            out.append((t.get_window_extent(renderer).x1, page.bbox.width))
    return out


def test_no_text_runs_off_the_right_edge() -> None:
    wide = "WMWMWMWM " * 40  # wide capitals, as in names and markings
    ident = "+52" + "3" * 10 + "@" + "x" * 200  # one long identifier, no space to break at
    blocks = [("h1", "LOCATION OF THE TARGET " * 8), ("h2", wide), ("p", wide), ("p", ident),
              ("mono", " 1   81%   19.94000 -103.75000     250 m  " + "W" * 150 + "\n" + "0" * 300)]
    edges = _right_edges(blocks)
    assert edges
    for x1, width in edges:
        assert x1 <= width - 10, (x1, width)  # inside the page, with a margin
