"""A real workbench server on a free localhost port, for the browser tests and the load benchmark.

``running_workbench(store_path)`` opens the store, adds one account per role
(password :data:`PASSWORD`), serves the app with uvicorn in a thread and yields
its base URL; the server stops when the block ends.
"""

from __future__ import annotations

import socket
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

PASSWORD = "workbench-pass-1"
#: role → (account name, agency: None means the case's owner agency)
ACCOUNTS = {"analyst": ("ana", None), "supervisor": ("sue", None), "liaison": ("lee", "PARTNER-X")}
CHROMIUM = "/usr/bin/chromium"
#: Software WebGL for the map in a headless browser (no GPU on CI).
CHROMIUM_ARGS = ["--use-angle=swiftshader", "--enable-unsafe-swiftshader", "--ignore-gpu-blocklist"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def running_workbench(store_path: Path, warm: bool = False) -> Iterator[str]:
    """Serve the case store at ``http://127.0.0.1:PORT`` until the block ends (``warm``: as ``serve`` does)."""
    import uvicorn

    from fusioncell.server.app import create_app
    from fusioncell.server.auth import add_user
    from fusioncell.store import CaseStore

    with CaseStore.open(store_path) as cs:
        owner = cs.case().owner_agency
        for role, (name, agency) in ACCOUNTS.items():
            add_user(cs, name, role, agency or owner, PASSWORD)
        port = free_port()
        app = create_app(cs)
        if warm:
            app.state.warm()
        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        deadline = time.monotonic() + 20
        while not server.started:
            if time.monotonic() > deadline or not thread.is_alive():
                raise RuntimeError("the workbench server did not start")
            time.sleep(0.05)
        try:
            yield f"http://127.0.0.1:{port}"
        finally:
            server.should_exit = True
            thread.join(timeout=10)
