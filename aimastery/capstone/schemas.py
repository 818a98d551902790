"""What the service accepts and returns: Pydantic models, which are also its OpenAPI schema.

Taught in the capstone chapter (book/capstone_issue_classifier.md). Every
limit is stated once here, enforced by Pydantic, and published in the
OpenAPI schema, so clients (and schemathesis) know what is accepted.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic_core import PydanticCustomError

MAX_TITLE_CHARS = 1_000
MAX_BODY_CHARS = 20_000
MAX_BATCH = 100
#: A title must contain a non-whitespace character. Checked with Python's ``re``
#: (and published as this pattern) rather than by Pydantic's own regex engine,
#: whose idea of whitespace differs on a few control characters.
HAS_TEXT = r"\S"
_HAS_TEXT = re.compile(HAS_TEXT)

ISSUE_ACCEPTS = (f'an object {{"title": text with at least one non-whitespace character, '
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
        json_schema_extra={"pattern": HAS_TEXT},
        description="The title: at least one non-whitespace character.")
    body: str = Field(
        default="", max_length=MAX_BODY_CHARS,
        description="The body (Markdown); may be empty, as on GitHub.")

    @field_validator("title")
    @classmethod
    def title_has_text(cls, value: str) -> str:
        if not _HAS_TEXT.search(value):
            raise PydanticCustomError(
                "blank_title", "the title is empty or only whitespace; "
                "it needs at least one visible character")
        return value


class BatchIn(BaseModel):
    """Up to MAX_BATCH issues, classified in one request."""

    model_config = ConfigDict(extra="forbid", strict=True)

    issues: list[IssueIn] = Field(min_length=1, max_length=MAX_BATCH,
                                  description=f"1 to {MAX_BATCH} issues.")


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
