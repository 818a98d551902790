"""Schemathesis against the service's own OpenAPI schema: generated requests, never a 5xx.

Each operation gets valid requests (positive mode) and invalid ones
(negative mode), a bounded number of each; the full-scale load test is
``make bench ONLY=api``. With the default checks schemathesis verifies: no
server error, documented status codes and content types, responses matching
their schema, invalid data rejected and valid data accepted.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode

from aimastery.capstone.service import API_KEY_HEADER, Settings, create_app

OPERATIONS = [("GET", "/health"), ("GET", "/ready"), ("GET", "/model"), ("POST", "/predict"),
              ("POST", "/predict/batch"), ("GET", "/metrics")]
MODES = [GenerationMode.POSITIVE, GenerationMode.NEGATIVE]
FUZZ = settings(max_examples=25, suppress_health_check=list(HealthCheck), deadline=None)


@pytest.fixture(scope="module")
def open_schema(artefacts_dir):
    return schemathesis.openapi.from_asgi("/openapi.json", create_app(Settings(artefacts_dir)))


@pytest.fixture(scope="module")
def keyed_schema(artefacts_dir):
    return schemathesis.openapi.from_asgi("/openapi.json", create_app(Settings(artefacts_dir, api_key="k3y")))


def test_schema_lists_every_operation(open_schema):
    found = {(op.ok().method.upper(), op.ok().path) for op in open_schema.get_all_operations()}
    assert found == set(OPERATIONS)


# A GET without parameters has no invalid input to generate: positive mode only.
CASES = [(m, p, mode) for m, p in OPERATIONS for mode in MODES if m == "POST" or mode is GenerationMode.POSITIVE]


@pytest.mark.parametrize("method, path, mode", CASES, ids=[f"{m} {p} {mode}" for m, p, mode in CASES])
def test_generated_requests_pass_every_check(open_schema, method, path, mode):
    operation = open_schema[path][method]

    @FUZZ
    @given(case=operation.as_strategy(generation_mode=mode))
    def check(case):
        case.call_and_validate()

    check()


@pytest.mark.parametrize("method, path", [op for op in OPERATIONS if op[0] == "POST"] + [("GET", "/model")])
def test_with_auth_on_never_5xx_and_401_without_the_key(keyed_schema, method, path):
    operation = keyed_schema[path][method]

    @FUZZ
    @given(case=operation.as_strategy(generation_mode=GenerationMode.POSITIVE))
    def check(case):
        response = case.call()
        assert response.status_code < 500, response.text
        if (case.headers or {}).get(API_KEY_HEADER) != "k3y":
            assert response.status_code == 401
        response = case.call(headers={API_KEY_HEADER: "k3y"})
        assert response.status_code in (200, 422), response.text

    check()
