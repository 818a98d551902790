"""Schemathesis against the digit service's own OpenAPI schema: generated requests, never a 5xx.

As for the capstone (tests/capstone/test_fuzz.py): valid requests (positive
mode) and invalid ones (negative mode), a bounded number of each, with the
default checks: no server error, documented status codes and content types,
responses matching their schema, invalid data rejected. One check is left
out for the upload in positive mode: the schema can say "a file", not "a PNG
of a digit", so a generated file is valid by the schema and still, rightly,
a 422.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import positive_data_acceptance

from aimastery.cnn.serve import DigitSettings, create_app
from aimastery.testing import one_torch_thread  # noqa: F401 (autouse fixture)

OPERATIONS = [("GET", "/health"), ("GET", "/ready"), ("GET", "/model"), ("POST", "/predict"), ("GET", "/metrics")]
FUZZ = settings(max_examples=25, suppress_health_check=list(HealthCheck), deadline=None)


@pytest.fixture(scope="module")
def schema(exported):
    return schemathesis.openapi.from_asgi("/openapi.json", create_app(DigitSettings(exported)))


def test_schema_lists_every_operation(schema):
    found = {(op.ok().method.upper(), op.ok().path) for op in schema.get_all_operations()}
    assert found == set(OPERATIONS)


CASES = [(m, p, mode) for m, p in OPERATIONS for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
         if m == "POST" or mode is GenerationMode.POSITIVE]


@pytest.mark.parametrize("method, path, mode", CASES, ids=[f"{m} {p} {mode}" for m, p, mode in CASES])
def test_generated_requests_pass_every_check(schema, method, path, mode):
    operation = schema[path][method]
    excluded = [positive_data_acceptance] if method == "POST" else []

    @FUZZ
    @given(case=operation.as_strategy(generation_mode=mode))
    def check(case):
        response = case.call_and_validate(excluded_checks=excluded)
        if method == "POST" and mode is GenerationMode.POSITIVE:
            assert response.status_code in (200, 422), response.text  # a file that is not a usable PNG: 422

    check()
