"""The service's edge before and after the schema: the content type, unreadable bodies, bounded errors.

Taught in the capstone chapter (book/capstone_issue_classifier.md); the
capstone lab (labs/capstone_service/) uses :class:`RequireJSON` and
:func:`unreadable_body_error` as given code, and asks for its own version of
:func:`public_problems`.

* :class:`RequireJSON`: ASGI middleware, a 415 for a POST whose body is not
  declared as UTF-8 JSON, before anything reads the body (the same for any
  other type: :class:`RequireContentType`; Week 5's digit service, in
  :mod:`aimastery.cnn.serve`, requires ``multipart/form-data``);
* :class:`LimitRequestSize`: ASGI middleware, a 413 for a body over the
  limit, declared or counted as it arrives;
* :func:`unreadable_body_error`: FastAPI answers a body that ``json.loads``
  cannot even start on (not UTF-8, a 5,000-digit number, 100,000 nested
  arrays) with a bare 400; this turns it into the ``json_invalid`` problem
  that every other broken JSON gets;
* :func:`public_problems`: Pydantic's errors as the service shows them, never
  echoing what the client sent (values, or the names of fields it invented)
  and never more than :data:`MAX_PROBLEMS` of them, so that the size of an
  error response does not grow with the size of the request;
* :func:`install_error_handlers`: both of the above as a service's handlers,
  every 422 saying what its route accepts.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

#: At most this many problems in one error response (then one line saying how many more there were).
MAX_PROBLEMS = 10
#: A problem's message is cut to this many characters.
MAX_MESSAGE_CHARS = 300
JSON_ACCEPTED = "a JSON body: Content-Type application/json (UTF-8)"
UNKNOWN_FIELD = "unknown field: only the fields listed in `accepted` are allowed (its name is not repeated here)"


def is_json_content_type(value: str | None) -> bool:
    """``application/json`` or ``application/<anything>+json``, with no charset or ``charset=utf-8``."""
    if value is None:
        return False
    media, params = media_type(value)
    main, _, sub = media.partition("/")
    charsets = [p.partition("=")[2].strip('"') for p in params if p.startswith("charset=")]
    return main == "application" and (sub == "json" or sub.endswith("+json")) and charsets in ([], ["utf-8"])


def media_type(value: str | None) -> tuple[str, list[str]]:
    """A Content-Type's media type and its parameters, lower-cased: ``("multipart/form-data", ["boundary=x"])``."""
    media, *params = (part.strip().lower() for part in (value or "").split(";"))
    return media, params


class RequireContentType:
    """ASGI middleware: 415 for a POST to one of ``paths`` whose Content-Type ``accepts`` refuses.

    Runs before anything reads the body. The 415 says what was declared and
    ``accepted``, what the endpoint takes. A POST with no Content-Type passes
    only when it declares an empty body (``Content-Length: 0``), which the
    route's own validation then refuses as missing.
    """

    def __init__(self, app, paths: Iterable[str], accepts: Callable[[str | None], bool], accepted: str):
        self.app, self.paths, self.accepts, self.accepted = app, frozenset(paths), accepts, accepted

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and scope["method"] == "POST" and scope["path"] in self.paths:
            headers = {name.decode("latin-1"): value.decode("latin-1") for name, value in scope["headers"]}
            declared = headers.get("content-type")
            empty = declared is None and headers.get("content-length") == "0"
            if not empty and not self.accepts(declared):
                shown = "none" if declared is None else ascii(declared[:60])
                detail = f"the body's Content-Type is {shown}; this endpoint accepts {self.accepted}"
                await JSONResponse({"detail": detail}, status_code=415)(scope, receive, send)
                return
        await self.app(scope, receive, send)


class RequireJSON(RequireContentType):
    """ASGI middleware: 415 for a POST to one of ``paths`` whose body is not declared as UTF-8 JSON.

    Without it FastAPI tries to read a form or plain text as JSON and answers
    "Input should be a valid dictionary", which never names the real fault.
    A POST with no Content-Type passes only when it declares an empty body
    (``Content-Length: 0``), which the schema then refuses as missing.
    """

    def __init__(self, app, paths: Iterable[str]):
        super().__init__(app, paths, is_json_content_type, JSON_ACCEPTED)


class BodyTooLarge(HTTPException):
    """Raised from ``receive`` once a body passes the limit; FastAPI answers it as a 413."""

    def __init__(self, max_bytes: int):
        super().__init__(413, f"the request body is over {max_bytes:,} bytes, the most this service accepts")


class LimitRequestSize:
    """ASGI middleware: 413 for a request body over ``max_bytes``.

    A declared Content-Length over the limit is refused before the body is
    read. A body without one (``Transfer-Encoding: chunked``) is counted as it
    arrives: ``receive`` is wrapped, and the chunk that passes the limit
    raises :class:`BodyTooLarge`, so no more than the limit plus one chunk is
    ever held in memory.
    """

    def __init__(self, app, max_bytes: int):
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope["headers"]:
            if name == b"content-length" and value.isdigit() and int(value) > self.max_bytes:
                await self._refuse(scope, receive, send)
                return
        received, started = 0, False

        async def counting_receive():
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise BodyTooLarge(self.max_bytes)
            return message

        async def tracking_send(message):
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except BodyTooLarge:  # read outside a route (FastAPI answers those inside one itself)
            if started:
                raise
            await self._refuse(scope, receive, send)

    async def _refuse(self, scope, receive, send):
        error = BodyTooLarge(self.max_bytes)
        await JSONResponse({"detail": error.detail}, status_code=413)(scope, receive, send)


def unreadable_body_error(cause: BaseException | None) -> RequestValidationError:
    """The ``json_invalid`` problem for a body FastAPI could not parse at all (its bare 400)."""
    why = type(cause).__name__ if cause is not None else "unreadable"
    if isinstance(cause, UnicodeDecodeError):
        why = "it is not UTF-8"
    elif isinstance(cause, RecursionError):
        why = "it nests too deeply"
    elif isinstance(cause, ValueError):
        why = "a number in it is too long"
    return RequestValidationError([{"type": "json_invalid", "loc": ("body",), "msg": "JSON decode error",
                                    "input": {}, "ctx": {"error": why}}])


def public_problems(errors: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Pydantic's errors as ``{"loc", "msg", "type"}``: no input echoed, no invented field names, at most
    :data:`MAX_PROBLEMS` distinct problems, then one saying how many more there were."""
    problems: list[dict[str, Any]] = []
    seen: set[tuple] = set()
    extra = 0
    for err in errors:
        kind = str(err.get("type", "invalid"))
        loc = [p if isinstance(p, int) else str(p) for p in err.get("loc", ())]
        msg = str(err.get("msg", "invalid"))
        if kind == "extra_forbidden":  # loc ends with the name the client made up
            loc, msg = loc[:-1], UNKNOWN_FIELD
        elif kind == "json_invalid":
            msg = f"the body is not valid JSON ({(err.get('ctx') or {}).get('error', 'decode error')})"
        key = (tuple(loc), msg, kind)
        if key in seen:
            continue
        if len(problems) == MAX_PROBLEMS:
            extra += 1
            continue
        seen.add(key)
        problems.append({"loc": loc, "msg": msg[:MAX_MESSAGE_CHARS], "type": kind})
    if extra:
        problems.append({"loc": ["body"], "msg": f"and {extra:,} more problems (the first {MAX_PROBLEMS} are listed)",
                         "type": "too_many_errors"})
    return problems


def install_error_handlers(app: FastAPI, accepted: dict[str, str],
                           unreadable: Callable[[StarletteHTTPException], RequestValidationError]) -> None:
    """Answer validation errors with :func:`public_problems` and what the route accepts (``accepted``:
    route -> text), and FastAPI's bare 400 for a body it could not parse on one of those routes with
    the 422 that ``unreadable(exc)`` describes."""

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        # Never echo the input back (it may be huge, or not even encodable): where, what, which rule.
        route = getattr(request.scope.get("route"), "path", request.url.path)
        return JSONResponse({"detail": public_problems(exc.errors()),
                             "accepted": accepted.get(route, "see the OpenAPI schema")}, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 400 and request.url.path in accepted:
            return await validation_error(request, unreadable(exc))
        return await http_exception_handler(request, exc)
