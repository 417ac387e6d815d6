"""Logging in and out: ``POST /api/v1/login`` and ``POST /api/v1/logout``.

A login sets a signed ``HttpOnly``, ``SameSite=Strict`` session cookie and
answers the session's CSRF token, which every write sends back as the
``X-CSRF-Token`` header; failed logins are throttled per name and address
(:class:`fusioncell.server.auth.Throttle`). Sessions live in the app's memory
(:class:`fusioncell.server.deps.Session`) and end when the server restarts.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, Request, Response
from pydantic import BaseModel

from fusioncell.server import auth
from fusioncell.server.deps import API, COOKIE, SESSION_S, Deps
from fusioncell.server.scope import ScopedRoute


class Login(BaseModel):
    name: str
    password: str


def routes(deps: Deps) -> APIRouter:
    """The login and logout routes."""
    router = APIRouter(route_class=ScopedRoute)
    store, access, csrf = deps.store, deps.access, deps.session.csrf
    signer, live, throttle = deps.session.signer, deps.session.live, deps.session.throttle

    @router.post(f"{API}/login")
    def login(body: Login, request: Request, response: Response) -> dict[str, str]:
        """Log in: sets a signed HttpOnly SameSite=Strict session cookie; answers the CSRF token for writes."""
        key = f"{body.name}|{request.client.host if request.client else ''}"
        if throttle.blocked(key):
            raise HTTPException(429, "too many failed logins; wait a minute")
        with access.lock:
            who = auth.check_password(store, body.name, body.password)
        if who is None:
            throttle.fail(key)
            raise HTTPException(401, "wrong name or password")
        sid, token = auth.new_csrf(), auth.new_csrf()
        live.add(sid)
        cookie = signer.dumps({"sid": sid, "name": who.name, "role": who.role, "agency": who.agency, "csrf": token})
        response.set_cookie(COOKIE, cookie, max_age=SESSION_S, httponly=True, samesite="strict", path="/")
        return {"name": who.name, "role": who.role, "agency": who.agency, "csrf": token}

    @router.post(f"{API}/logout")
    def logout(request: Request, response: Response, principal: auth.Principal = Depends(csrf)) -> dict[str, str]:
        """End the session (needs the X-CSRF-Token header)."""
        data = signer.loads(request.cookies[COOKIE], max_age=SESSION_S)
        live.discard(data["sid"])
        response.delete_cookie(COOKIE, path="/")
        return {"name": principal.name}

    return router
