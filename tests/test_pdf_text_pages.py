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


def _lines_per_page(blocks: list[tuple[str, str]]) -> list[list[tuple[float, float, str]]]:
    """Per page: (top, bottom, first characters) of each text, the marking left out, in figure fractions."""
    out = []
    for page in text_pages(blocks, "TLP:AMBER"):
        canvas = FigureCanvasAgg(page)
        renderer = canvas.get_renderer()
        h = page.bbox.height
        out.append([(t.get_window_extent(renderer).y1 / h, t.get_window_extent(renderer).y0 / h, t.get_text()[:12])
                    for t in page.texts if t.get_text() != "TLP:AMBER"])
    return out


def test_a_long_table_continues_on_the_next_page_and_no_text_leaves_the_page() -> None:
    """An evidence table of 300 lines ran off the foot of its one page: every line is on a page, inside it."""
    table = "\n".join(f"#{i:03d} B2 +0.50 informant report" for i in range(300))
    pages = _lines_per_page([("h1", "Report"), ("h2", "Evidence"), ("mono", table)])
    assert len(pages) >= 3
    for texts in pages:
        for top, bottom, _ in texts:
            assert top <= 1.0 and bottom >= 0.0, (top, bottom)
    shown = "\n".join(t.get_text() for page in text_pages([("mono", table)], "M") for t in page.texts)
    assert all(f"#{i:03d} " in shown for i in range(300))


def test_a_heading_is_not_left_alone_at_the_foot_of_a_page() -> None:
    """Paragraphs fill the first page almost to its foot; the heading that follows goes over with its table."""
    filler = [("p", f"paragraph {i} " + "words " * 12) for i in range(36)]
    pages = _lines_per_page([*filler, ("h2", "Evidence"), ("mono", "\n".join(f"row {i}" for i in range(20)))])
    where = [k for k, texts in enumerate(pages) for _, _, head in texts if head.startswith("Evidence")]
    rows = [k for k, texts in enumerate(pages) for _, _, head in texts if head.startswith("row 0")]
    assert where == rows and len(where) == 1


def test_an_item_and_its_indented_lines_stay_on_one_page() -> None:
    """An evidence item is a line and its indented summary: a page break falls between items, not inside one
    (the first line at the foot of a page, its summary on the next, read as two items)."""
    # a title line first: page capacity is even, so the items alone would break between items by luck
    items = "\n".join(["evidence, strongest first"] + [f"#{i:03d} B2 +0.50 informant report\n              summary "
                                                        f"of item {i}" for i in range(150)])
    pages = text_pages([("h1", "Report"), ("mono", items)], "M")
    texts = [[ln for t in page.texts if t.get_text() != "M" for ln in t.get_text().split("\n")] for page in pages]
    assert len(texts) >= 2
    for lines in texts:
        assert lines[-1].startswith("              summary"), lines[-1]  # a page ends after a whole item
        assert not lines[0].startswith(" ") or lines is texts[0], lines[0]  # and the next begins with one
