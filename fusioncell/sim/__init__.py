"""fusioncell.sim: a synthetic world with a hidden fugitive, his network and every discipline's collection.

``simulate(out_dir, seed=..., scale=..., days=..., difficulty=..., track=...)``
writes a case folder in the format of the case-format spec plus
``truth.json``. See docs/simulator.md.
"""

from fusioncell.sim.core import simulate

__all__ = ["simulate"]
