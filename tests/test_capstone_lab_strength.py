"""The capstone lab's tests must catch the mistakes learners make, not only pass the solution.

Each mutant is the reference service with one classic mistake; the lab's
tests must fail on every one of them, in the task that owns the mistake.
"""

import shutil
from collections import defaultdict

from aimastery.config import REPO_ROOT
from aimastery.labs.runner import run_lab

SOLUTION = REPO_ROOT / "solutions" / "capstone_service"

MUTANTS = {  # name: (the task that must catch it, [(text in the solution, replacement)])
    "limit off by one": (1, [("if len(value) > max_chars:", "if len(value) >= max_chars:")]),
    "only the empty string is blank": (1, [("not value.strip():", "value == '':")]),
    "only ASCII spaces are blank": (1, [("not value.strip():", "not value.strip(' '):")]),
    "allow_empty ignored": (1, [("if not allow_empty and not value.strip():", "if not value.strip():")]),
    "value returned stripped": (1, [("visible character\")\n    return value\n",
                                     "visible character\")\n    return value.strip()\n")]),
    "input echoed back": (2, [('{"loc": list(err["loc"]), "msg": err["msg"], "type": err["type"]}',
                               '{"loc": list(err["loc"]), "msg": err["msg"], "type": err["type"],'
                               ' "input": str(err.get("input"))}')]),
    "400 instead of 422": (2, [("status_code=422)", "status_code=400)")]),
    "no 'accepted' field": (2, [('{"detail": detail, "accepted": accepted}', '{"detail": detail}')]),
    "== instead of compare_digest": (3, [('return hmac.compare_digest(provided.encode("utf-8"), '
                                          'expected.encode("utf-8"))', "return provided == expected")]),
    "compare_digest on str": (3, [('hmac.compare_digest(provided.encode("utf-8"), expected.encode("utf-8"))',
                                   "hmac.compare_digest(provided, expected)")]),
    "batch of 100 refused": (4, [("if not 1 <= len(issues) <= MAX_BATCH:", "if not 1 <= len(issues) < MAX_BATCH:")]),
    "empty batch accepted": (4, [("if not 1 <= len(issues) <= MAX_BATCH:", "if len(issues) > MAX_BATCH:")]),
    "batch answered in reverse": (4, [("for issue in batch.issues:", "for issue in reversed(batch.issues):")]),
    "version in every prediction": (4, [('predictions.append({"label": label, "probabilities": probabilities})',
                                         'predictions.append({"label": label, "probabilities": probabilities, '
                                         '"model_version": model.version})')]),
}


def test_every_mutant_is_caught(tmp_path):
    source = (SOLUTION / "service.py").read_text()
    root = tmp_path / "mutants"
    root.mkdir()
    names = {}
    for i, (name, (_, edits)) in enumerate(MUTANTS.items()):
        text = source
        for old, new in edits:
            assert text.count(old) == 1, f"mutant {name!r}: its target text is not in the solution any more"
            text = text.replace(old, new)
        lab = root / f"capstone_mutant{i:02d}"
        lab.mkdir()
        (lab / "__init__.py").write_text("")
        (lab / "service.py").write_text(text)
        shutil.copy(SOLUTION / "test_service.py", lab / "test_service.py")
        names[lab.name] = name

    report = run_lab(root)  # one pytest run over every mutant
    assert not report.collect_errors, report.render()
    failed_tasks = defaultdict(set)
    for t in report.tests:
        if t.outcome != "passed":
            failed_tasks[t.nodeid.split("/")[0]].add(t.task)
    uncaught = [f"{names[lab]} (Task {MUTANTS[names[lab]][0]})" for lab in names
                if MUTANTS[names[lab]][0] not in failed_tasks[lab]]
    assert not uncaught, f"the capstone lab's tests pass these buggy services: {uncaught}"
