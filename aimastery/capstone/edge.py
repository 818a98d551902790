"""The service's edge before and after the schema: the content type, unreadable bodies, bounded errors.

Taught in the capstone chapter (book/capstone_issue_classifier.md); the
capstone lab (labs/capstone_service/) uses :class:`RequireJSON` and
:func:`unreadable_body_error` as given code, and asks for its own version of
:func:`public_problems`.

* :class:`RequireJSON`: ASGI middleware, a 415 for a POST whose body is not
  declared as UTF-8 JSON, before anything reads the body;
* :func:`unreadable_body_error`: FastAPI answers a body that ``json.loads``
  cannot even start on (not UTF-8, a 5,000-digit number, 100,000 nested
  arrays) with a bare 400; this turns it into the ``json_invalid`` problem
  that every other broken JSON gets;
* :func:`public_problems`: Pydantic's errors as the service shows them, never
  echoing what the client sent (values, or the names of fields it invented)
  and never more than :data:`MAX_PROBLEMS` of them, so that the size of an
  error response does not grow with the size of the request.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

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
    media_type, *params = (part.strip().lower() for part in value.split(";"))
    main, _, sub = media_type.partition("/")
    charsets = [p.partition("=")[2].strip('"') for p in params if p.startswith("charset=")]
    return main == "application" and (sub == "json" or sub.endswith("+json")) and charsets in ([], ["utf-8"])


class RequireJSON:
    """ASGI middleware: 415 for a POST to one of ``paths`` whose body is not declared as UTF-8 JSON.

    Without it FastAPI tries to read a form or plain text as JSON and answers
    "Input should be a valid dictionary", which never names the real fault.
    A POST with no Content-Type passes only when it declares an empty body
    (``Content-Length: 0``), which the schema then refuses as missing.
    """

    def __init__(self, app, paths: Iterable[str]):
        self.app, self.paths = app, frozenset(paths)

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and scope["method"] == "POST" and scope["path"] in self.paths:
            headers = {name.decode("latin-1"): value.decode("latin-1") for name, value in scope["headers"]}
            declared = headers.get("content-type")
            empty = declared is None and headers.get("content-length") == "0"
            if not empty and not is_json_content_type(declared):
                shown = "none" if declared is None else ascii(declared[:60])
                detail = f"the body's Content-Type is {shown}; this endpoint accepts {JSON_ACCEPTED}"
                await JSONResponse({"detail": detail}, status_code=415)(scope, receive, send)
                return
        await self.app(scope, receive, send)


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
