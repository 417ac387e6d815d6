"""The workbench's one error shape, and the one place where an error becomes an HTTP status.

Every failure answers ``{"status", "code", "message", "field"}`` (:class:`ErrorBody`):

* ``HTTPException`` → its status; code ``unauthenticated`` (401), ``forbidden`` (403),
  ``not_found`` (404), ``method_not_allowed`` (405), ``too_many_requests`` (429), else ``http_error``;
* a request that fails validation (query, body, path) → 422 ``invalid``, ``field`` naming where;
* :class:`fusioncell.errors.NotFound` → 404 ``not_found``;
* :class:`fusioncell.errors.PolicyViolation` → 403 ``policy``;
* any other :class:`fusioncell.errors.FusioncellError` → 400 ``bad_request``.

The message of a case error passes the request's read filter too (a message
may name an identifier), or is withheld whole.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from fusioncell.errors import FusioncellError, NotFound, PolicyViolation


class ErrorBody(BaseModel):
    """The one error shape."""

    status: int
    code: str
    message: str
    field: str | None = None


#: The error answers every route may give (the OpenAPI document lists them on each).
RESPONSES: dict[int | str, dict[str, Any]] = {401: {"model": ErrorBody}, 403: {"model": ErrorBody}, 404: {"model": ErrorBody}, 422: {"model": ErrorBody}}


def _error(status: int, code: str, message: str, field: str | None = None) -> JSONResponse:
    return JSONResponse(ErrorBody(status=status, code=code, message=message, field=field).model_dump(),
                        status_code=status)


def install(app: FastAPI) -> None:
    """Answer every error of ``app`` in the one shape (see the module docs)."""

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {401: "unauthenticated", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
                429: "too_many_requests"}.get(exc.status_code, "http_error")
        return _error(exc.status_code, code, str(exc.detail))

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {}
        loc = [str(p) for p in first.get("loc", ()) if p not in ("query", "body", "path")]
        return _error(422, "invalid", str(first.get("msg", "invalid request")), ".".join(loc) or None)

    def _released(request: Request, message: str) -> str:
        reader = getattr(request.state, "reader", None)  # an error message passes the read filter too
        if reader is None:
            return message
        try:
            return str(reader.release(message))
        except PolicyViolation:
            return "the answer was withheld by the read filter"

    @app.exception_handler(NotFound)
    async def _notfound(request: Request, exc: NotFound) -> JSONResponse:
        return _error(404, "not_found", await run_in_threadpool(_released, request, str(exc)))

    @app.exception_handler(PolicyViolation)
    async def _policy(request: Request, exc: PolicyViolation) -> JSONResponse:
        return _error(403, "policy", await run_in_threadpool(_released, request, str(exc)))

    @app.exception_handler(FusioncellError)
    async def _bad(request: Request, exc: FusioncellError) -> JSONResponse:
        return _error(400, "bad_request", await run_in_threadpool(_released, request, str(exc)))
