"""The capstone lab's tests must catch the mistakes learners make, not only pass the solution.

Each mutant is the reference service with one classic mistake; the lab's
tests must fail on every one of them, in the task that owns the mistake.
"""

from aimastery.config import REPO_ROOT
from aimastery.labs.mutants import uncaught_mutants

SOLUTION = REPO_ROOT / "solutions" / "capstone_service"

VISIBLE = "not any(unicodedata.category(c)[0] in VISIBLE_CATEGORIES for c in shown)"
VALUE_ERROR = """        if err["type"] == "value_error":
            msg = str(err["ctx"]["error"])
        elif err["type"] == "json_invalid":"""

MUTANTS = {  # name: (the task that must catch it, [(text in the solution, replacement)])
    "limit off by one": (1, [("if len(value) > max_chars:", "if len(value) >= max_chars:")]),
    "only the empty string is blank": (1, [(VISIBLE, "value == ''")]),
    "str.strip() for blank (NUL, U+200B pass)": (1, [(VISIBLE, "not value.strip()")]),
    "only ASCII spaces are blank": (1, [(VISIBLE, "not value.strip(' ')")]),
    "isprintable() for visible (lone marks pass)": (1, [(VISIBLE, "not any(c.isprintable() and not c.isspace() "
                                                                   "for c in value)")]),
    "letters and numbers only": (1, [(VISIBLE, "not any(unicodedata.category(c)[0] in 'LN' for c in value)")]),
    "whole category compared (never visible)": (1, [("unicodedata.category(c)[0] in", "unicodedata.category(c) in")]),
    "every character must be visible": (1, [("not any(unicodedata.category(c)[0]", "not all(unicodedata.category(c)[0]")]),
    "blank-looking letters count as visible": (1, [("c not in BLANK_LOOKING)", "True)")]),
    "allow_empty ignored": (1, [("if not allow_empty and not any(", "if not any(")]),
    "value returned stripped": (1, [("punctuation mark or symbol\")\n    return value\n",
                                     "punctuation mark or symbol\")\n    return value.strip()\n")]),
    "input echoed back": (2, [('{"loc": loc, "msg": msg, "type": err["type"]}',
                               '{"loc": loc, "msg": msg, "type": err["type"], "input": str(err.get("input"))}')]),
    "unknown field's name echoed in loc": (2, [("loc, msg = loc[:-1], UNKNOWN_FIELD", "msg = UNKNOWN_FIELD")]),
    "Pydantic's 'Extra inputs' kept": (2, [("loc, msg = loc[:-1], UNKNOWN_FIELD", "loc = loc[:-1]")]),
    "every problem listed": (2, [("    if len(detail) > MAX_PROBLEMS:\n", "    if False:\n")]),
    "the count counts the listed ones too": (2, [("{len(detail) - MAX_PROBLEMS:,} more", "{len(detail):,} more")]),
    "400 instead of 422": (2, [("status_code=422)", "status_code=400)")]),
    "no 'accepted' field": (2, [('{"detail": detail, "accepted": accepted}', '{"detail": detail}')]),
    "Pydantic's 'Value error, ' prefix kept": (2, [(VALUE_ERROR, '        if err["type"] == "json_invalid":')]),
    "Pydantic's 'JSON decode error' kept": (2, [("msg = f\"the body is not valid JSON ({err['ctx']['error']})\"",
                                                 "pass")]),
    "JSON position dropped from loc": (2, [('loc, msg = list(err["loc"]), err["msg"]',
                                           'loc, msg = [p for p in err["loc"] if isinstance(p, str)], err["msg"]')]),
    "== instead of compare_digest": (3, [("return hmac.compare_digest(provided_digest, expected_digest)",
                                          "return provided == expected")]),
    "compare_digest on str": (3, [("hmac.compare_digest(provided_digest, expected_digest)",
                                   "hmac.compare_digest(provided, expected)")]),
    "compare_digest on the raw bytes (leaks the length)": (3, [(
        "hmac.compare_digest(provided_digest, expected_digest)",
        'hmac.compare_digest(provided.encode("utf-8"), expected.encode("utf-8"))')]),
    "digest of the wrong key": (3, [('provided_digest = hashlib.sha256(provided.encode("utf-8")).digest()',
                                     'provided_digest = hashlib.sha256(expected.encode("utf-8")).digest()')]),
    "None accepted": (3, [("    if provided is None:\n        return False\n", "")]),
    "batch of 100 refused": (4, [("if not 1 <= len(issues) <= MAX_BATCH:", "if not 1 <= len(issues) < MAX_BATCH:")]),
    "empty batch accepted": (4, [("if not 1 <= len(issues) <= MAX_BATCH:", "if len(issues) > MAX_BATCH:")]),
    "batch answered in reverse": (4, [("for issue in batch.issues:", "for issue in reversed(batch.issues):")]),
    "version in every prediction": (4, [('predictions.append({"label": label, "probabilities": probabilities})',
                                         'predictions.append({"label": label, "probabilities": probabilities, '
                                         '"model_version": model.version})')]),
}


def test_every_mutant_is_caught(tmp_path):
    uncaught = uncaught_mutants(SOLUTION, "service.py", "test_service.py", MUTANTS, tmp_path)
    assert not uncaught, f"the capstone lab's tests pass these buggy services: {uncaught}"
