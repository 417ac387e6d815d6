"""A map of a simulated world: towns, cell sites, mountains, hideout, decoys and the partner's track.

For documentation and for looking at a scenario; never used by the analysis.

>>> # render_map(7, Path("docs/simulator-map.png"))  # doctest: +SKIP
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from fusioncell.sim.core import build_scenario
from fusioncell.sim.sensors import track


def render_map(seed: int, out_png: Path, *, days: int = 30, difficulty: str = "easy", scale: str | int = "small") -> Path:
    """Draw the world of ``seed`` with the partner's handset fixes (as if she were tracked)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sn = build_scenario(seed=seed, scale=scale, days=days, difficulty=difficulty)
    w, org = sn.world, sn.org

    def ll(xy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        lat, lon = w.to_latlon(np.asarray(xy, dtype=np.float64))
        return lon, lat

    fig, ax = plt.subplots(figsize=(9, 7.5), dpi=110)
    # mountains
    gx, gy = np.meshgrid(np.linspace(-4000, w.width_m + 4000, 200), np.linspace(-4000, w.height_m + 4000, 160))
    grid = np.stack([gx, gy], axis=-1)
    mnt = w.is_mountain(grid)
    glon, glat = ll(grid)
    ax.contourf(glon, glat, mnt.astype(float), levels=[0.5, 1.5], colors=["#d9c9a8"], alpha=0.6)
    cov = w.covered(grid.reshape(-1, 2)).reshape(mnt.shape)
    ax.contourf(glon, glat, (~cov).astype(float), levels=[0.5, 1.5], colors=["#999999"], alpha=0.35)
    # towers, homes
    tl, tt = ll(w.towers_xy)
    ax.scatter(tl, tt, s=6, marker="^", c="#555555", label="cell sites", zorder=2)
    hl, ht = ll(w.places_xy[w.home[: w.n_res]])
    ax.scatter(hl, ht, s=2, c="#8fb3d9", label="homes", zorder=1)
    for i, (xy, r) in enumerate(zip(w.towns_xy, w.towns_r)):
        lon, lat = ll(xy)
        ax.annotate(f"town {i}", (float(lon), float(lat)), fontsize=8, ha="center", va="bottom")
    # partner's fixes
    num = sn.number_at(org.partner, sn.t0)
    fx, _ = track(sn.hs, seed, [("partner", num)], days)
    if len(fx.t):
        ax.plot(fx.lon, fx.lat, "-", lw=0.4, c="#c0398b", alpha=0.5, zorder=3)
        ax.scatter(fx.lon, fx.lat, s=3, c="#c0398b", label="partner's handset fixes", zorder=3)
    for i, d in enumerate(org.decoys):
        lon, lat = ll(d["xy"])
        ax.scatter([lon], [lat], s=70, marker="s", c="#f0a030", edgecolors="k", zorder=4,
                   label="decoy safe houses" if i == 0 else None)
    for i, h in enumerate(org.hideouts):
        lon, lat = ll(h["xy"])
        ax.scatter([lon], [lat], s=220, marker="*", c="#d62728", edgecolors="k", zorder=5,
                   label="hideout" if i == 0 else "second hideout")
    ax.set_xlabel("longitude")
    ax.set_ylabel("latitude")
    ax.set_title(f"Simulated region (seed {seed}, {w.n_res} residents): tan = mountains, grey = no coverage")
    ax.legend(loc="lower left", fontsize=8, framealpha=0.9)
    ax.set_aspect(1 / np.cos(np.radians(w.lat0)))
    fig.tight_layout()
    out_png = Path(out_png)
    out_png.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out_png)
    plt.close(fig)
    return out_png
