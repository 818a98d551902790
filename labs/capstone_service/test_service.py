"""Capstone lab tests: your service's edge, driven through FastAPI's TestClient.

The tasks build on each other: do them in order.
"""

import hashlib
import hmac
import json
import unicodedata

import pytest
from fastapi.exceptions import RequestValidationError
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError, field_validator

from . import service
from .service import MAX_BATCH, MAX_BODY_CHARS, MAX_TITLE_CHARS, BatchIn, IssueIn, check_api_key, check_batch_size, \
    check_text, create_app, validation_error_response

TASK1 = pytest.mark.task(1, "check_text: the rules for a title and a body")
TASK2 = pytest.mark.task(2, "validation errors as clear 422 responses")
TASK3 = pytest.mark.task(3, "API keys compared in constant time")
TASK4 = pytest.mark.task(4, "the batch endpoint")

ISSUE = {"title": "App crashes with a traceback", "body": "Traceback ... KeyError"}


@pytest.fixture
def client():
    with TestClient(create_app()) as c:
        yield c


# ----- Task 1


@TASK1
def test_text_within_the_rules_comes_back_unchanged():
    assert check_text("  Crash on start ", field="title", max_chars=100, allow_empty=False) == "  Crash on start "
    assert check_text("", field="body", max_chars=100, allow_empty=True) == ""
    assert check_text("x" * 100, field="body", max_chars=100, allow_empty=True) == "x" * 100  # the limit is allowed


# Not visible: Unicode's control (Cc), format (Cf) and separator (Z*) characters, and the rest.
INVISIBLE = st.characters(categories=("Cc", "Cf", "Zs", "Zl", "Zp")) | st.sampled_from(sorted(service.BLANK_LOOKING))
VISIBLE = st.characters(categories=("L", "N", "P", "S"))


@TASK1
@pytest.mark.parametrize("value", ["", " ", "\t\n  ", "\u00a0\u2003", "\x00\x00\x00", "\u200b", "\ufeff\u200d",
                                   "\u0301\u0301", "\ue000", "\u3164", "\u2800 \u2800", "\u115f\u1160\uffa0"],
                         ids=["empty", "space", "tab-newline", "nbsp-emspace", "NUL", "zero-width-space",
                              "BOM-zwj", "combining-marks", "private-use", "hangul-filler", "braille-blank",
                              "other-hangul-fillers"])
def test_title_without_a_visible_character_is_refused(value):
    with pytest.raises(ValueError, match="title"):
        check_text(value, field="title", max_chars=100, allow_empty=False)


@TASK1
@pytest.mark.parametrize("value", ["42", "?", "\u00e9", "\u4e2d", "\U0001f600", "\u200b#\u200b", "\x00x"])
def test_one_visible_character_is_enough(value):
    assert check_text(value, field="title", max_chars=100, allow_empty=False) == value


@TASK1
@given(st.text(INVISIBLE, max_size=30), VISIBLE, st.integers(0, 30))
def test_control_format_and_space_characters_are_not_visible(blank, visible, where):
    with pytest.raises(ValueError):
        check_text(blank, field="title", max_chars=100, allow_empty=False)
    assert check_text(blank, field="body", max_chars=100, allow_empty=True) == blank
    text = blank[:where] + visible + blank[where:]
    assert check_text(text, field="title", max_chars=100, allow_empty=False) == text


@TASK1
@given(st.text(max_size=20))
def test_visible_means_what_the_course_service_means(text):
    from aimastery.capstone.schemas import has_visible_character  # the course's definition, as the oracle

    try:
        check_text(text, field="title", max_chars=100, allow_empty=False)
        accepted = True
    except ValueError:
        accepted = False
    categories = [unicodedata.category(c) for c in text]
    assert accepted == has_visible_character(text), (
        f"title {ascii(text)}, Unicode categories {categories}: your check_text "
        f"{'accepts' if accepted else 'refuses'} it, but visible means a category starting with L, N, P or S "
        f"(Cn is an unassigned code point, Co private use: neither is visible)")


@TASK1
def test_check_text_does_the_check_itself(monkeypatch):
    import aimastery.capstone.schemas as course

    def finished(*args, **kwargs):
        raise AssertionError("write the visible check yourself, from the characters' Unicode categories: "
                             "the course's finished function is the tests' oracle, not your helper")

    for module in (course, service):
        for name in ("has_visible_character", "is_visible", "visible_pattern"):
            if hasattr(module, name):
                monkeypatch.setattr(module, name, finished)
    assert check_text("ok", field="title", max_chars=100, allow_empty=False) == "ok"
    with pytest.raises(ValueError):
        check_text("\u200b", field="title", max_chars=100, allow_empty=False)


@TASK1
def test_too_long_is_refused_naming_the_limit():
    with pytest.raises(ValueError, match="20,000"):
        check_text("b" * (MAX_BODY_CHARS + 1), field="body", max_chars=MAX_BODY_CHARS, allow_empty=True)


@TASK1
def test_issue_schema_uses_the_rules():
    assert IssueIn.model_validate({"title": "Typo in README"}).body == ""
    for bad in ({"title": "   "}, {"title": "t" * (MAX_TITLE_CHARS + 1)},
                {"title": "ok", "body": "b" * (MAX_BODY_CHARS + 1)}):
        with pytest.raises(ValidationError):
            IssueIn.model_validate(bad)


# ----- Task 2 (these requests fail on their types or their JSON, before your check_text runs)


@TASK2
@pytest.mark.parametrize("request_kwargs, loc", [
    ({"content": b'{"title": ', "headers": {"content-type": "application/json"}}, "body"),
    ({"json": {"title": 42}}, "title"),
    ({"json": {"body": 3}}, "title"),
    ({"json": ["not", "an", "object"]}, "body"),
])
def test_validation_errors_are_422_with_what_is_accepted(client, request_kwargs, loc):
    r = client.post("/predict", **request_kwargs)
    assert r.status_code == 422
    body = r.json()
    assert set(body) == {"detail", "accepted"}
    assert body["accepted"] == service.ISSUE_ACCEPTS
    first = body["detail"][0]
    assert set(first) == {"loc", "msg", "type"}, "each problem has loc, msg and type, nothing else"
    assert isinstance(first["loc"], list) and loc in first["loc"]


@TASK2
@pytest.mark.parametrize("raw", [b'{"title": ', b'{"title": "x",}', b"{'title': 'x'}", b'{"title": "x"} extra'])
def test_json_errors_say_why_and_where(client, raw):
    r = client.post("/predict", content=raw, headers={"content-type": "application/json"})
    assert r.status_code == 422
    problem = r.json()["detail"][0]
    with pytest.raises(json.JSONDecodeError) as err:
        json.loads(raw)
    assert problem["type"] == "json_invalid"
    assert problem["msg"] == f"the body is not valid JSON ({err.value.msg})", "the service's wording"
    assert problem["loc"] == ["body", err.value.pos], "loc is ['body', where the JSON parser stopped]"


class _Picky(BaseModel):
    name: str

    @field_validator("name")
    @classmethod
    def _never(cls, value: str) -> str:
        raise ValueError("the name is never right; anything else is")


def _picky_error() -> RequestValidationError:
    try:
        _Picky(name="x")
    except ValidationError as err:
        return RequestValidationError(err.errors())
    raise AssertionError("unreachable")


@TASK2
def test_your_validators_messages_come_without_pydantics_prefix():
    r = validation_error_response(_picky_error(), "a name")
    problem = json.loads(r.body)["detail"][0]
    assert problem["msg"] == "the name is never right; anything else is", "no 'Value error, ' in front"
    assert problem == {"loc": ["name"], "msg": problem["msg"], "type": "value_error"}


@TASK2
def test_input_is_never_echoed(client):
    secret = "s" * 5_000
    r = client.post("/predict", json={"title": [secret], "body": None})
    assert r.status_code == 422 and secret not in r.text


@TASK2
def test_unknown_field_names_are_never_echoed(client):
    name = "f" * 5_000
    r = client.post("/predict", json={"title": "x", name: 1})
    assert r.status_code == 422 and name not in r.text, "an unknown field's name is the client's input too"
    assert r.json()["detail"] == [{"loc": ["body"], "msg": service.UNKNOWN_FIELD, "type": "extra_forbidden"}]


@TASK2
def test_a_thousand_problems_get_a_short_answer(client):
    r = client.post("/predict/batch", json={"issues": [{"title": " ", f"x{i}": 0} for i in range(MAX_BATCH)]})
    assert r.status_code == 422
    detail = r.json()["detail"]
    assert len(detail) == service.MAX_PROBLEMS + 1, f"{len(detail)} problems listed; at most MAX_PROBLEMS, then a count"
    assert detail[-1] == {"loc": ["body"], "type": "too_many_errors",
                          "msg": f"and {2 * MAX_BATCH - service.MAX_PROBLEMS} more problems (the first "
                                 f"{service.MAX_PROBLEMS} are listed)"}
    assert len(r.content) < 5_000, f"the answer is {len(r.content):,} bytes"


@TASK2
@pytest.mark.parametrize("raw", [b'{"title": "\xff"}', b"[" * 50_000 + b"]" * 50_000], ids=["not-utf8", "deep"])
def test_unreadable_bodies_get_the_same_json_error(client, raw):
    r = client.post("/predict", content=raw, headers={"content-type": "application/json"})
    assert r.status_code == 422, r.text
    problem = r.json()["detail"][0]
    assert problem["type"] == "json_invalid" and problem["msg"].startswith("the body is not valid JSON (")


@TASK2
def test_batch_errors_say_what_a_batch_accepts(client):
    r = client.post("/predict/batch", json={"issues": "nope"})
    assert r.status_code == 422 and r.json()["accepted"] == service.BATCH_ACCEPTS


# ----- Task 3


@TASK3
def test_api_key_comparison():
    assert check_api_key("s3cret", "s3cret") is True
    assert check_api_key("s3creT", "s3cret") is False
    assert check_api_key("", "s3cret") is False
    assert check_api_key(None, "s3cret") is False
    assert check_api_key("clé", "clé") is True and check_api_key("cle", "clé") is False


@TASK3
def test_api_key_uses_compare_digest(monkeypatch):
    calls, original = [], hmac.compare_digest

    def spy(a, b):
        calls.append((a, b))
        return original(a, b)

    monkeypatch.setattr(service.hmac, "compare_digest", spy)
    assert check_api_key("abc", "abc")
    digest = hashlib.sha256(b"abc").digest()
    assert calls == [(digest, digest)], "compare the SHA-256 digests of the UTF-8 bytes with hmac.compare_digest"
    assert not check_api_key("clé", "a much longer key")
    assert calls[1] == (hashlib.sha256("clé".encode()).digest(), hashlib.sha256(b"a much longer key").digest()), \
        "digests of equal length: the comparison must not reveal how long the key is"


@TASK3
def test_endpoints_need_the_key_when_one_is_set():
    with TestClient(create_app(api_key="k3y")) as c:
        assert c.post("/predict", json=ISSUE).status_code == 401
        assert c.post("/predict", json=ISSUE, headers={"X-API-Key": "k3x"}).status_code == 401
        assert c.post("/predict/batch", json={"issues": [ISSUE]}).status_code == 401
        assert c.post("/predict", json=ISSUE, headers={"X-API-Key": "k3y"}).status_code == 200


# ----- Task 4


@TASK4
def test_batch_size_rule():
    assert check_batch_size([1]) == [1]
    assert len(check_batch_size(list(range(MAX_BATCH)))) == MAX_BATCH
    for bad in ([], list(range(MAX_BATCH + 1))):
        with pytest.raises(ValueError, match="1 to 100"):
            check_batch_size(bad)


@TASK4
def test_batch_predicts_in_order_like_single_requests(client):
    issues = [ISSUE, {"title": "How do I configure the cache?"}, {"title": "Typo in the README", "body": ""},
              {"title": "Add support for YAML"}]
    r = client.post("/predict/batch", json={"issues": issues})
    assert r.status_code == 200
    body = r.json()
    assert body["model_version"] == "keywords-1"
    singles = [client.post("/predict", json=i).json() for i in issues]
    assert [p["label"] for p in body["predictions"]] == [s["label"] for s in singles]
    assert [p["probabilities"] for p in body["predictions"]] == [s["probabilities"] for s in singles]
    assert all(set(p) == {"label", "probabilities"} for p in body["predictions"])


@TASK4
def test_batch_limits_through_the_api(client):
    assert client.post("/predict/batch", json={"issues": [ISSUE] * MAX_BATCH}).status_code == 200
    for n in (0, MAX_BATCH + 1):
        r = client.post("/predict/batch", json={"issues": [ISSUE] * n})
        assert r.status_code == 422 and "1 to 100" in r.json()["detail"][0]["msg"]
    assert BatchIn.model_validate({"issues": [ISSUE]}).issues[0].title == ISSUE["title"]


@TASK4
def test_ten_thousand_blank_issues_get_one_short_error(client):
    r = client.post("/predict/batch", json={"issues": [{"title": " "}] * 10_000})
    assert r.status_code == 422
    detail = r.json()["detail"]
    assert len(detail) == 1 and "1 to 100" in detail[0]["msg"], "one error, saying what a batch holds"
    assert len(r.content) < 1_000, "the size is checked first: one short error, not one per issue"
