"""Lab 6's tests must catch the mistakes learners make, not only pass the solution.

Each mutant is the reference solution with one classic bug; the lab's tests
must fail on every one of them, in the task that owns the bug.
"""

from aimastery.config import REPO_ROOT
from aimastery.labs.mutants import uncaught_mutants

SOLUTION = REPO_ROOT / "solutions" / "week06_lstm"

CELL_MUTANTS = {  # name: (the task that must catch it, [(text in the solution, replacement)])
    # Task 1: the cell, forward
    "input and forget blocks swapped": (1, [("i, f = sigmoid(a[:, :H]), sigmoid(a[:, H:2 * H])",
                                             "i, f = sigmoid(a[:, H:2 * H]), sigmoid(a[:, :H])")]),
    "candidate through a sigmoid": (1, [("g, o = np.tanh(a[:, 2 * H:3 * H])", "g, o = sigmoid(a[:, 2 * H:3 * H])")]),
    "h without the tanh of c": (1, [("h = o * tanh_c", "h = o * c")]),
    "recurrent bias left out": (1, [("+ h_prev @ params[\"weight_hh\"].T + params[\"bias_hh\"])",
                                     "+ h_prev @ params[\"weight_hh\"].T)")]),
    # Task 2: the cell, backward
    "dh not passed into the cell state": (2, [("dc_total = dc + dh * o * (1 - tanh_c ** 2)", "dc_total = dc")]),
    "dc_prev without the forget gate": (2, [("\"c_prev\": dc_total * f", "\"c_prev\": dc_total")]),
    "tanh derivative as 1 - g": (2, [("dg * (1 - g ** 2)", "dg * (1 - g)")]),
    "output gate gradient without tanh(c)": (2, [("do = dh * tanh_c", "do = dh")]),
    "recurrent bias gets no gradient": (2, [("\"bias_hh\": da.sum(axis=0)", "\"bias_hh\": np.zeros(da.shape[1])")]),
}

SAMPLING_MUTANTS = {
    # Task 3: greedy and temperature
    "greedy takes the least likely": (3, [("return int(np.argmax(logits))", "return int(np.argmin(logits))")]),
    "temperature multiplies": (3, [("dtype=np.float64) / temperature)", "dtype=np.float64) * temperature)")]),
    "temperature zero accepted": (3, [("if not temperature > 0:", "if temperature < 0:")]),
    # Task 4: top-k
    "top-k keeps k + 1": (4, [("keep = np.argsort(-probs, kind=\"stable\")[:k]", "keep = np.argsort(-probs, kind=\"stable\")[:k + 1]")]),
    "top-k not renormalised": (4, [("kept[keep] = probs[keep]\n    return kept / kept.sum()\n    ### END SOLUTION\n\n\ndef top_p",
                                    "kept[keep] = probs[keep]\n    return kept\n    ### END SOLUTION\n\n\ndef top_p")]),
    "k = 0 accepted": (4, [("or k < 1:", "or k < 0:")]),
    # Task 5: top-p
    "top-k ties to the higher id": (4, [("keep = np.argsort(-probs, kind=\"stable\")[:k]\n    kept",
                                         "keep = (len(probs) - 1 - np.argsort(-probs[::-1], kind=\"stable\"))[:k]\n    kept")]),
    "top-p stops short of p": (5, [("else order[mass_before < p - 1e-12]",
                                    "else order[np.cumsum(probs[order]) < p - 1e-12]")]),
    "p = 1 drops the improbable": (5, [("keep = order if p == 1 else order[", "keep = order[")]),
    "top-p keeps nothing for a sure token": (5, [("else order[mass_before < p - 1e-12]",
                                                  "else order[mass_before < p - 1e-12][1:]")]),
    "p > 1 accepted": (5, [("if not 0 < p <= 1:", "if not 0 < p:")]),
    "top-p keeps the token at exactly p": (5, [("else order[mass_before < p - 1e-12]",
                                                "else order[mass_before <= p]")]),
}


def test_every_cell_mutant_is_caught(tmp_path):
    uncaught = uncaught_mutants(SOLUTION, "lstm.py", "test_lstm.py", CELL_MUTANTS, tmp_path)
    assert not uncaught, f"Lab 6's tests pass these buggy LSTM cells: {uncaught}"


def test_every_sampling_mutant_is_caught(tmp_path):
    uncaught = uncaught_mutants(SOLUTION, "sampling.py", "test_sampling.py", SAMPLING_MUTANTS, tmp_path)
    assert not uncaught, f"Lab 6's tests pass these buggy samplers: {uncaught}"
