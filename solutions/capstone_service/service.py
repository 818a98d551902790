"""Capstone lab — the part of the issue-classifier service that meets the outside world.

The course's service (aimastery/capstone/service.py, taught in
book/capstone_issue_classifier.md) trusts nothing a client sends. Here you
write that edge yourself, on a small FastAPI app:

1. ``check_text``: the rules for a title and a body (what "visible" means
   is the course's one definition: ``VISIBLE_CATEGORIES`` minus
   ``BLANK_LOOKING``);
2. ``validation_error_response``: a 422 that says where the problem is and
   what is accepted, in the service's words, never echoes the input (nor
   the names of unknown fields), and stays short however bad the request;
3. ``check_api_key``: a constant-time comparison of API keys (of their digests);
4. ``check_batch_size`` and the body of ``POST /predict/batch``.

The model is a stand-in (``KeywordModel``) so that the lab needs no trained
artefacts; the real service plugs its NumPy predictor into the same place.
``make lab-check WEEK=capstone`` tells you how far you are.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import unicodedata

from fastapi import Depends, FastAPI, Header, HTTPException
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, field_validator
from starlette.exceptions import HTTPException as StarletteHTTPException

# The limits, what "visible" means, and what each endpoint accepts: the course's service's own
# definitions (aimastery/capstone/schemas.py), so that this app answers as that one does.
from aimastery.capstone.schemas import (  # noqa: F401 (re-exported for the tests)
    BATCH_ACCEPTS, BLANK_LOOKING, ISSUE_ACCEPTS, MAX_BATCH, MAX_BODY_CHARS, MAX_TITLE_CHARS, VISIBLE_CATEGORIES,
)
# Given: the service's limits on what reaches your code (a 413 over 16 MiB, a 415 for a body not
# declared as JSON, a json_invalid error for a body json.loads cannot start on) and two of its words.
from aimastery.capstone.edge import MAX_PROBLEMS, UNKNOWN_FIELD, RequireJSON, unreadable_body_error
from aimastery.capstone.service import MAX_REQUEST_BYTES, LimitRequestSize


class KeywordModel:
    """A stand-in classifier: counts telling words, returns softmax probabilities."""

    labels = ("bug", "feature", "question", "documentation")
    version = "keywords-1"
    KEYWORDS = {
        "bug": ("crash", "error", "exception", "traceback", "fails", "broken"),
        "feature": ("add", "support", "option", "allow", "feature", "proposal"),
        "question": ("how", "why", "what", "possible", "help", "?"),
        "documentation": ("docs", "documentation", "readme", "typo", "example", "guide"),
    }

    def predict(self, title: str, body: str = "") -> tuple[str, dict[str, float]]:
        text = f"{title}\n{body}".lower()
        scores = [sum(text.count(word) for word in self.KEYWORDS[label]) for label in self.labels]
        exps = [math.exp(s - max(scores)) for s in scores]
        probs = {label: e / sum(exps) for label, e in zip(self.labels, exps)}
        return max(probs, key=probs.get), probs


# ----- Task 1: the rules for a title and a body


def check_text(value: str, *, field: str, max_chars: int, allow_empty: bool) -> str:
    """Return ``value`` if it follows the rules, else raise ``ValueError`` saying what is accepted.

    - more than ``max_chars`` characters: refused (the message names the limit);
    - no visible character: refused unless ``allow_empty`` (a title needs one;
      a body may be empty, as on GitHub). A character is visible when its
      Unicode general category (``unicodedata.category(c)``, such as ``"Lu"``
      or ``"Zs"``) starts with a letter in ``VISIBLE_CATEGORIES``: a letter,
      number, punctuation mark or symbol, and it is not one of the
      ``BLANK_LOOKING`` letters drawn as empty space (U+3164 Hangul filler,
      U+2800 Braille blank, ...). Spaces, NUL, U+200B and U+FEFF are not.
    The value is returned unchanged (not stripped).
    """
    ### BEGIN SOLUTION (Task 1)
    ### HINT 1: Two checks, each a ValueError that names the field and says what is accepted: the length,
    ###         then (unless allow_empty) whether any character is visible.
    ### HINT 2: A character c is visible when unicodedata.category(c)[0] is in VISIBLE_CATEGORIES and c is
    ###         not in BLANK_LOOKING; any(...) over the characters. Write numbers as the tests read them:
    ###         f"{max_chars:,}" gives "20,000".
    ### HINT 3: "the body has 20,001 characters; at most 20,000 are accepted" and "the title has no visible
    ###         character; it needs at least one letter, number, punctuation mark or symbol".
    if len(value) > max_chars:
        raise ValueError(f"the {field} has {len(value):,} characters; at most {max_chars:,} are accepted")
    shown = (c for c in value if c not in BLANK_LOOKING)  # drawn as something, not as empty space
    if not allow_empty and not any(unicodedata.category(c)[0] in VISIBLE_CATEGORIES for c in shown):
        raise ValueError(f"the {field} has no visible character; it needs at least one letter, number, "
                         f"punctuation mark or symbol")
    return value
    ### END SOLUTION


class IssueIn(BaseModel):
    """One issue: a strict schema (text must be text; no unknown fields)."""

    model_config = ConfigDict(extra="forbid", strict=True)

    title: str
    body: str = ""

    @field_validator("title")
    @classmethod
    def _title(cls, value: str) -> str:
        return check_text(value, field="title", max_chars=MAX_TITLE_CHARS, allow_empty=False)

    @field_validator("body")
    @classmethod
    def _body(cls, value: str) -> str:
        return check_text(value, field="body", max_chars=MAX_BODY_CHARS, allow_empty=True)


# ----- Task 4 (first half): how many issues a batch may hold


def check_batch_size(issues: list) -> list:
    """Return ``issues`` if there are 1 to MAX_BATCH of them, else raise ``ValueError`` saying so."""
    ### BEGIN SOLUTION (Task 4)
    ### HINT 1: One comparison with the accepted range, and a ValueError that names it.
    ### HINT 2: Say it as the service does: "a batch holds 1 to 100 issues, got 10,000" (MAX_BATCH, and the
    ###         count with a thousands comma).
    if not 1 <= len(issues) <= MAX_BATCH:
        raise ValueError(f"a batch holds 1 to {MAX_BATCH} issues, got {len(issues):,}")
    return issues
    ### END SOLUTION


class BatchIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    issues: list[IssueIn]

    @field_validator("issues", mode="before")
    @classmethod
    def _size_first(cls, value):
        # mode="before": the size is checked before any issue is, so 10,000 blank issues get one
        # short error saying what a batch holds, not 10,000 errors about their titles.
        return check_batch_size(value) if isinstance(value, list) else value


# ----- Task 2: validation errors as clear 422 responses


def validation_error_response(exc: RequestValidationError, accepted: str) -> JSONResponse:
    """A 422 JSON response: ``{"detail": [{"loc", "msg", "type"}, ...], "accepted": accepted}``.

    ``exc.errors()`` lists the problems as dicts with ``loc`` (a tuple such
    as ``("body", "title")``), ``msg``, ``type``, and also ``input`` (what the
    client sent) and sometimes ``ctx``. Keep only loc (as a list), msg and
    type: never echo the input back (it can be 20,000 characters, or
    something a log viewer should not display). Three messages are Pydantic's,
    not yours, and the service words them better:

    - ``type == "value_error"`` (a ``ValueError`` from a validator, such as
      ``check_text``): Pydantic's msg is "Value error, " + your message;
      the message alone is ``str(err["ctx"]["error"])``;
    - ``type == "json_invalid"`` (the body is not JSON): Pydantic says
      "JSON decode error"; say ``the body is not valid JSON (<why>)``, with
      why from ``err["ctx"]["error"]`` (such as "Expecting value");
    - ``type == "extra_forbidden"`` (a field the schema does not have): the
      last element of ``loc`` is the name the client made up, which may be
      5,000 characters long: drop it from ``loc``, and say ``UNKNOWN_FIELD``.

    And never more than ``MAX_PROBLEMS`` problems: after the first
    ``MAX_PROBLEMS``, one more ``{"loc": ["body"], "msg": "and 90 more
    problems (the first 10 are listed)", "type": "too_many_errors"}``, so
    that 100,000 unknown fields get a short answer, not a 9 MB one.
    """
    ### BEGIN SOLUTION (Task 2)
    ### HINT 1: Build a new dict per problem from exc.errors(), with only loc (a list), msg and type; reword
    ###         the three messages the docstring lists; stop listing after MAX_PROBLEMS and say how many more.
    ### HINT 2: The reworded messages come from err["ctx"]["error"] (value_error, json_invalid); for
    ###         extra_forbidden, loc[:-1] and UNKNOWN_FIELD. Keep the first MAX_PROBLEMS dicts, then, if
    ###         there were more, the too_many_errors one with their count.
    ### HINT 3: f"and {n - MAX_PROBLEMS:,} more problems (the first {MAX_PROBLEMS} are listed)";
    ###         JSONResponse({"detail": ..., "accepted": accepted}, status_code=422).
    detail = []
    for err in exc.errors():
        loc, msg = list(err["loc"]), err["msg"]
        if err["type"] == "value_error":
            msg = str(err["ctx"]["error"])
        elif err["type"] == "json_invalid":
            msg = f"the body is not valid JSON ({err['ctx']['error']})"
        elif err["type"] == "extra_forbidden":
            loc, msg = loc[:-1], UNKNOWN_FIELD
        detail.append({"loc": loc, "msg": msg, "type": err["type"]})
    if len(detail) > MAX_PROBLEMS:
        more = {"loc": ["body"], "msg": f"and {len(detail) - MAX_PROBLEMS:,} more problems (the first "
                f"{MAX_PROBLEMS} are listed)", "type": "too_many_errors"}
        detail = detail[:MAX_PROBLEMS] + [more]
    return JSONResponse({"detail": detail, "accepted": accepted}, status_code=422)
    ### END SOLUTION


# ----- Task 3: API keys, compared in constant time


def check_api_key(provided: str | None, expected: str) -> bool:
    """True when ``provided`` equals ``expected``, compared with ``hmac.compare_digest``.

    ``==`` on strings stops at the first differing character, so how long
    it takes leaks how much of a guess was right. ``compare_digest`` on the
    keys themselves still returns at once when their lengths differ, which
    leaks the key's length; so compare the SHA-256 digests of the UTF-8
    bytes (``hashlib.sha256(...).digest()``, always 32 bytes). A missing
    key (None) is wrong.
    """
    ### BEGIN SOLUTION (Task 3)
    ### HINT 1: A missing key is wrong. Otherwise compare fixed-size digests of the two keys in constant
    ###         time, never the keys themselves.
    ### HINT 2: hashlib.sha256(key.encode("utf-8")).digest() for each (32 bytes whatever the key), then
    ###         hmac.compare_digest on the two digests.
    if provided is None:
        return False
    provided_digest = hashlib.sha256(provided.encode("utf-8")).digest()
    expected_digest = hashlib.sha256(expected.encode("utf-8")).digest()
    return hmac.compare_digest(provided_digest, expected_digest)
    ### END SOLUTION


def create_app(model=None, api_key: str | None = None) -> FastAPI:
    """The service: POST /predict and POST /predict/batch, optionally behind an X-API-Key."""
    model = model or KeywordModel()
    app = FastAPI(title="Issue classifier (lab)")
    app.add_middleware(RequireJSON, paths=("/predict", "/predict/batch"))  # 415 for a form, text, XML...
    app.add_middleware(LimitRequestSize, max_bytes=MAX_REQUEST_BYTES)  # 413, before anything is parsed

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request, exc: RequestValidationError) -> JSONResponse:
        accepted = BATCH_ACCEPTS if request.url.path.endswith("/batch") else ISSUE_ACCEPTS
        return validation_error_response(exc, accepted)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 400:  # FastAPI's bare 400 for a body json.loads cannot start on
            return await _validation_error(request, unreadable_body_error(exc.__cause__))
        return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers)

    def require_key(x_api_key: str | None = Header(default=None)) -> None:
        if api_key is not None and not check_api_key(x_api_key, api_key):
            raise HTTPException(401, "missing or wrong X-API-Key header")

    @app.post("/predict", dependencies=[Depends(require_key)])
    async def predict(issue: IssueIn) -> dict:
        label, probabilities = model.predict(issue.title, issue.body)
        return {"label": label, "probabilities": probabilities, "model_version": model.version}

    @app.post("/predict/batch", dependencies=[Depends(require_key)])
    async def predict_batch(batch: BatchIn) -> dict:
        """One {"label", "probabilities"} per issue, in the order sent, and the model version."""
        ### BEGIN SOLUTION (Task 4)
        ### HINT 1: Call the model on each issue of batch.issues, in order, and collect what /predict
        ###         returns for each, minus the model version, which comes once for the whole batch.
        ### HINT 2: label, probabilities = model.predict(issue.title, issue.body) per issue; return
        ###         {"predictions": [one {"label", "probabilities"} per issue], "model_version": model.version}.
        predictions = []
        for issue in batch.issues:
            label, probabilities = model.predict(issue.title, issue.body)
            predictions.append({"label": label, "probabilities": probabilities})
        return {"predictions": predictions, "model_version": model.version}
        ### END SOLUTION

    return app
