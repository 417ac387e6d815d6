"""Run ``fusioncell`` (the CLI) with a CPU clock around each stage of ``network --focus`` (net14, issue #13).

Used by ``bench/network_speed.py --cli`` as the fusioncell child process::

    python bench/network_stages.py OUT.json network STORE --focus X --format json

Every function named in :data:`STAGES` that the running source tree has is
replaced, in every loaded ``fusioncell`` module that holds it, by a wrapper
that charges the process CPU time (all threads) spent inside it to its stage,
*exclusive* of nested stages (group switches called by attribution count as
successions, not as persons). What no stage covers (interpreter start,
imports, opening the store, the JSON output) is ``rest``. Nothing in
fusioncell is changed; the figures go to OUT.json when the command exits.
"""

from __future__ import annotations

import functools
import importlib
import json
import sys
import time
from typing import Any, Callable

#: stage -> functions ("module:name") charged to it
STAGES: dict[str, tuple[str, ...]] = {
    "successions": ("fusioncell.resolve.activity:build_activity", "fusioncell.resolve.burner:build_burner_pairs",
                    "fusioncell.resolve.burner:burner_successions", "fusioncell.resolve.groups:group_switches"),
    "persons": ("fusioncell.resolve.persons:persons_table", "fusioncell.resolve.persons:person_of",
                "fusioncell.resolve.attribution:build_attributions"),
    "focus and labels": ("fusioncell.network.api:resolve_focus", "fusioncell.network.api:display_identifiers"),
    "ties": ("fusioncell.network.api:around",),
    "circle": ("fusioncell.network.api:close_circle",),
    "communities": ("fusioncell.network.graph:communities",),
    "key players": ("fusioncell.network.api:key_players",),
    "hubs": ("fusioncell.network.api:hubs",),
}

spent: dict[str, float] = {k: 0.0 for k in STAGES}
_stack: list[list[float]] = []  # per active stage call: [start, nested time]


def _wrap(stage: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(fn)
    def timed(*args: Any, **kw: Any) -> Any:
        _stack.append([time.process_time(), 0.0])
        try:
            return fn(*args, **kw)
        finally:
            t0, nested = _stack.pop()
            total = time.process_time() - t0
            spent[stage] += total - nested
            if _stack:
                _stack[-1][1] += total

    return timed


def patch() -> None:
    """Replace each stage function, wherever a loaded fusioncell module holds it, by its timed wrapper."""
    cli = importlib.import_module("fusioncell.cli")
    # as `fusioncell` itself does first (cli.main): igraph imported without matplotlib (net12). Without this the
    # stage modules imported below pulled matplotlib.pyplot in (0.37 s charged to `rest` that the CLI never pays).
    # Since net18 cli._startup does it, and also has the garbage collector run rarely while modules load (the
    # imports below are the command's own, made here before `main` instead of inside the command)
    getattr(cli, "_startup", getattr(cli, "_igraph_without_pyplot", lambda: None))()
    importlib.import_module("fusioncell.network.report")
    for stage, names in STAGES.items():
        for name in names:
            mod_name, attr = name.split(":")
            try:
                fn = getattr(importlib.import_module(mod_name), attr)
            except (ImportError, AttributeError):  # not in this tree (e.g. main before net13)
                continue
            timed = _wrap(stage, fn)
            for mod in [m for k, m in sys.modules.items() if k.startswith("fusioncell") and m is not None]:
                for k, v in list(vars(mod).items()):
                    if v is fn:
                        setattr(mod, k, timed)


def main() -> int:
    out, argv = sys.argv[1], sys.argv[2:]
    patch()
    from fusioncell.cli import main as cli_main

    sys.argv = ["fusioncell", *argv]
    code: Any = 0
    try:
        cli_main()
    except SystemExit as exc:
        code = exc.code
    finally:
        total = time.process_time()
        with open(out, "w") as fh:
            json.dump({"stages": spent, "total": total, "rest": total - sum(spent.values())}, fh)
    return int(code or 0)


if __name__ == "__main__":
    sys.exit(main())
