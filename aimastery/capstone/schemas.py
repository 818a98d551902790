"""What the service accepts and returns: Pydantic models, which are also its OpenAPI schema.

Taught in the capstone chapter (book/capstone_issue_classifier.md). Every
limit is stated once here, enforced by Pydantic, and published in the
OpenAPI schema, so clients (and schemathesis) know what is accepted.
"""

from __future__ import annotations

import functools
import unicodedata
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic_core import PydanticCustomError

MAX_TITLE_CHARS = 1_000
MAX_BODY_CHARS = 20_000
MAX_BATCH = 100

#: What "visible" means, the one definition the service, the lab and the OpenAPI schema use: a
#: character whose Unicode general category is a letter (L), a number (N), a punctuation mark (P)
#: or a symbol (S). Not visible: separators (spaces, line and paragraph separators: Z), control
#: characters (NUL, tab, newline: Cc), format characters (U+200B zero-width space, U+FEFF, the
#: bidirectional marks: Cf), private-use and unassigned code points (Co, Cn), surrogates (Cs), and
#: combining marks on their own (M), which have nothing to sit on.
VISIBLE_CATEGORIES = frozenset("LNPS")
#: The exceptions: letters and symbols that are drawn as blank space (the Hangul fillers, category Lo,
#: and the empty Braille pattern, So). A title of them looks empty, so they do not count as visible.
BLANK_LOOKING = frozenset("\u115f\u1160\u3164\uffa0\u2800")
VISIBLE_RULE = ("a letter, number, punctuation mark or symbol: Unicode categories L, N, P, S, "
                "except the blank-looking Hangul fillers and Braille blank (U+115F, U+1160, U+3164, "
                "U+FFA0, U+2800)")


def is_visible(char: str) -> bool:
    """Whether one character is visible (:data:`VISIBLE_CATEGORIES`, minus :data:`BLANK_LOOKING`)."""
    return unicodedata.category(char)[0] in VISIBLE_CATEGORIES and char not in BLANK_LOOKING


def has_visible_character(text: str) -> bool:
    """Whether ``text`` holds at least one visible character (stops at the first)."""
    return any(map(is_visible, text))


@functools.cache
def visible_pattern() -> str:
    """:func:`has_visible_character` as a regular expression, for the OpenAPI schema.

    One character class listing every visible code point of this Python's
    Unicode tables (``unicodedata.unidata_version``), as ranges of literal
    characters, so that the pattern means the same in Python's ``re`` and in
    ECMA-262 with the ``u`` flag (what JSON Schema validators use). Built on
    first use (a scan of all 1,114,112 code points) and cached.
    """
    ranges: list[tuple[int, int]] = []
    for cp in range(0x110000):
        if is_visible(chr(cp)):
            if ranges and ranges[-1][1] == cp - 1:
                ranges[-1] = (ranges[-1][0], cp)
            else:
                ranges.append((cp, cp))

    def literal(cp: int) -> str:
        return "\\" + chr(cp) if chr(cp) in "\\]^-[" else chr(cp)

    return "[" + "".join(literal(a) if a == b else f"{literal(a)}-{literal(b)}" for a, b in ranges) + "]"


def _publish_visible_pattern(schema: dict[str, Any]) -> None:
    schema["pattern"] = visible_pattern()


ISSUE_ACCEPTS = (f'an object {{"title": text with at least one visible character ({VISIBLE_RULE}), '
                 f'at most {MAX_TITLE_CHARS:,} characters; "body": text, at most {MAX_BODY_CHARS:,} '
                 f'characters, optional}} and no other fields')
BATCH_ACCEPTS = f'an object {{"issues": a list of 1 to {MAX_BATCH} issues}}, each issue {ISSUE_ACCEPTS}'

EXAMPLE = {"title": "Crash when the config file has a trailing comma",
           "body": "Traceback (most recent call last):\n  ...\njson.decoder.JSONDecodeError: Expecting value"}


class IssueIn(BaseModel):
    """One issue to classify."""

    model_config = ConfigDict(extra="forbid", strict=True,
                              json_schema_extra={"examples": [EXAMPLE]})

    title: str = Field(
        min_length=1, max_length=MAX_TITLE_CHARS,
        json_schema_extra=_publish_visible_pattern,
        description=f"The title: at least one visible character ({VISIBLE_RULE}).")
    body: str = Field(
        default="", max_length=MAX_BODY_CHARS,
        description="The body (Markdown); may be empty, as on GitHub.")

    @field_validator("title")
    @classmethod
    def title_has_visible_character(cls, value: str) -> str:
        if not has_visible_character(value):
            raise PydanticCustomError(
                "blank_title", "the title has no visible character; it needs at least one letter, number, "
                "punctuation mark or symbol (spaces, control and format characters such as U+200B, and the "
                "blank-looking U+3164 and U+2800, do not count)")
        return value


class BatchIn(BaseModel):
    """Up to MAX_BATCH issues, classified in one request."""

    model_config = ConfigDict(extra="forbid", strict=True)

    issues: list[IssueIn] = Field(min_length=1, max_length=MAX_BATCH,
                                  description=f"1 to {MAX_BATCH} issues.")

    @field_validator("issues", mode="before")
    @classmethod
    def size_first(cls, value: Any) -> Any:
        """The size is checked before any issue is: 10,000 blank issues get one short error, not 10,000."""
        if isinstance(value, list) and not 1 <= len(value) <= MAX_BATCH:
            raise PydanticCustomError("batch_size", "a batch holds 1 to {max} issues, got {n}",
                                      {"max": MAX_BATCH, "n": f"{len(value):,}"})
        return value


class LabelledOut(BaseModel):
    label: str = Field(description="The most probable label.")
    probabilities: dict[str, float] = Field(description="Every label's probability; they sum to 1.")


class PredictionOut(LabelledOut):
    model_version: str
    latency_ms: float = Field(description="Time spent in the model for this request, in the server.")


class BatchOut(BaseModel):
    predictions: list[LabelledOut] = Field(description="One prediction per issue, in the order sent.")
    model_version: str
    latency_ms: float = Field(description="Time spent in the model for the whole batch, in the server.")


class ModelOut(BaseModel):
    version: str
    labels: list[str]
    metrics: dict[str, Any] = Field(description="Held-out scores recorded at training time.")
    training_data: dict[str, Any]
    loaded_at: str = Field(description="When this worker loaded the model (ISO 8601, UTC).")
    load_seconds: float


class HealthOut(BaseModel):
    status: str = "ok"


class ReadyOut(BaseModel):
    ready: bool
    model_version: str | None = None
    reason: str | None = Field(default=None, description="Why the model is not loaded, when it is not "
                                "(short; the server log has the details).")


class ErrorOut(BaseModel):
    detail: str


class FieldProblem(BaseModel):
    loc: list[str | int] = Field(description="Where the problem is, e.g. [\"body\", \"issues\", 3, \"title\"].")
    msg: str
    type: str


class ValidationErrorOut(BaseModel):
    detail: list[FieldProblem]
    accepted: str = Field(description="What this endpoint accepts.")
