"""Lab 8's tests must catch the mistakes learners make, each in the task that owns it, and say what is wrong.

Each mutant is the reference solution with one classic bug (a causal mask off by one or lined up with the
first keys, no sqrt(d), a cache grown along the wrong axis or never grown, a generation loop that feeds the
whole sequence again, LoRA without its alpha / r, B not zero at the start, merge without the scaling, ...).
Each mutant's own task must fail, and one of its messages must name the mistake in the learner's terms.
The variants are right solutions written another way: every test of their task must pass them.
"""

from aimastery.config import REPO_ROOT
from aimastery.labs.expect import silent_asserts
from aimastery.labs.mutants import mutant_failures, rejected_variants

SOLUTION = REPO_ROOT / "solutions" / "week08_gpt"

MASK = "torch.ones(q_len, k_len, dtype=torch.bool).tril(diagonal=k_len - q_len)"
MASKED_SCORES = '    scores = scores.masked_fill(~allowed, float("-inf"))\n'
SOFTMAX = "    weights = scores.softmax(dim=-1)  # each row sums to 1\n"
CAT = "return torch.cat([past_k, k], dim=-2), torch.cat([past_v, v], dim=-2)"
STEP = "        if step + 1 < max_new_tokens:\n            logits, past = model(next_token, past)"
LORA_A = ("self.lora_A = nn.Parameter(torch.empty(r, base.in_features, **like))  # (r, in)\n"
          "        nn.init.kaiming_uniform_(self.lora_A, a=math.sqrt(5))\n")
MERGE = "self.base.weight += self.scaling * (self.lora_B @ self.lora_A)  # (out, in)"
UNMERGE = "        self.base.weight -= self.scaling * (self.lora_B @ self.lora_A)  # (out, in)\n"

# name: (the task that must catch it, [(text in the solution, replacement)], what one of its messages says)
TABLE = {
    # Task 1: the causal mask and masked attention
    "mask hides each query's own key": (1, [(MASK, MASK.replace("k_len - q_len)", "k_len - q_len - 1)"))],
                                        "hidden from its own key"),
    "mask shows one future key": (1, [(MASK, MASK.replace("k_len - q_len)", "k_len - q_len + 1)"))],
                                  "one key of the future"),
    "mask lined up with the first keys": (1, [(MASK, MASK.replace("diagonal=k_len - q_len", "diagonal=0"))],
                                          "lined up with the FIRST keys"),
    "mask the wrong way round": (1, [("scores.masked_fill(~allowed,", "scores.masked_fill(allowed,")],
                                 "the wrong way round"),
    "softmax over the queries": (1, [(SOFTMAX, SOFTMAX.replace("dim=-1", "dim=-2"))], "COLUMN"),
    "no 1/sqrt(d) scale": (1, [(" / math.sqrt(q.shape[-1])  # (..., T_q, T_k)", "  # (..., T_q, T_k)")],
                           "unscaled scores"),
    "scaled by d instead of sqrt(d)": (1, [("/ math.sqrt(q.shape[-1])", "/ q.shape[-1]")], "divided by d"),
    "mask applied after the softmax": (1, [(MASKED_SCORES, ""),
                                           (SOFTMAX, SOFTMAX + "    weights = weights.masked_fill(~allowed, 0.0)\n")],
                                       "BEFORE the softmax"),
    "weights detached from autograd": (1, [("    out = weights @ v", "    out = weights.detach() @ v")],
                                       "no gradient reaches q"),
    "fused attention imported": (1, [("from torch import Tensor, nn\n",
                                      "from torch import Tensor, nn\n"
                                      "from torch.nn.functional import scaled_dot_product_attention as _sdpa\n"),
                                     ("    out = weights @ v", "    out = _sdpa(q, k, v, is_causal=q.shape[-2] > 1)")],
                                 "this lab asks you to write that yourself"),
    "the course's causal mask imported": (1, [("from torch import Tensor, nn\n",
                                               "from torch import Tensor, nn\n\n"
                                               "from aimastery.attention import causal_mask as _mask\n"),
                                              (f"return {MASK}", "return _mask(q_len, k_len)")],
                                          "aimastery.attention is the finished version"),
    # Task 2: the KV cache
    "cache grown along the feature axis (dim -1)": (2, [(CAT, CAT.replace("dim=-2", "dim=-1"))],
                                                    "the feature axis (dim -1)"),
    "cache grown along the head axis (dim 1)": (2, [(CAT, CAT.replace("dim=-2", "dim=1"))], "the head axis (dim 1)"),
    "new positions before the cached ones": (2, [(CAT, "return torch.cat([k, past_k], dim=-2), "
                                                       "torch.cat([v, past_v], dim=-2)")],
                                             "the new keys come first"),
    "append_kv returns the old cache": (2, [(CAT, "return past")], "is the past you were given"),
    "forward returns the old cache as present": (2, [("        return out, present\n", "        return out, past\n")],
                                                 "is None"),
    "new queries attend to the new keys only": (2, [("causal_attention(q, *present)", "causal_attention(q, k, v)")],
                                                "attend to the cached keys"),
    "keys and queries swapped out of c_attn": (2, [("q, k, v = self.c_attn(x).split(",
                                                    "k, q, v = self.c_attn(x).split(")],
                                               "queries, keys, values in that order"),
    "generate feeds the whole sequence each step": (2, [(STEP, STEP.replace("model(next_token, past)",
                                                                            "model(idx, past)"))],
                                                    "feed only the newest token"),
    "generate drops the cache": (2, [(STEP, STEP.replace("model(next_token, past)", "model(next_token)"))],
                                 "passed no cache"),
    "generate never updates the cache": (2, [(STEP, STEP.replace("logits, past =", "logits, _ ="))],
                                         "pass the presents of the call just before"),
    "generate reads the first position's logits": (2, [("logits[:, -1].argmax", "logits[:, 0].argmax")],
                                                   "LAST position's logits"),
    "generate calls the model once too often": (2, [(STEP, "        logits, past = model(next_token, past)")],
                                                "the prompt once, then once for each new token but the last"),
    # Task 3: a LoRA linear layer
    "update not scaled in forward": (3, [(") * self.scaling  # (..., r) then (..., out)", ")  # (..., r)")],
                                     "not scaled"),
    "scaling alpha instead of alpha / r": (3, [("self.scaling = alpha / r", "self.scaling = alpha")],
                                           "scaled by alpha = 8.0 instead of alpha / r = 2.0"),
    "lora_B random at the start": (3, [("torch.zeros(base.out_features, r, **like)",
                                        "torch.randn(base.out_features, r, **like)")], "lora_B is not all zeros"),
    "lora_A zero at the start": (3, [(LORA_A, "self.lora_A = nn.Parameter(torch.zeros(r, base.in_features, **like))"
                                              "\n")],
                                 "lora_A is all zeros"),
    "base not frozen": (3, [("        for p in base.parameters():\n            p.requires_grad_(False)\n", "")],
                        "still requires grad: freeze every parameter of base"),
    "base bias left trainable": (3, [("for p in base.parameters():", "for p in [base.weight]:")],
                                 "base.bias still requires grad"),
    "merge forgets the scaling": (3, [(MERGE, MERGE.replace("self.scaling * ", ""))],
                                  "merge() added an update not scaled"),
    "merge does not set merged": (3, [("        self.merged = True\n", "")],
                                  "after merge(), layer.merged must be True"),
    "forward adds the update once merged too": (3, [("if not self.merged:\n            out = out +",
                                                     "if True:\n            out = out +")],
                                                "forward added the update again"),
    "unmerge does not subtract": (3, [(UNMERGE, "")], "unmerge() left the update in base.weight"),
}

VARIANTS = {  # right solutions, written another way: their task must pass
    "mask by comparing positions": (1, [(f"return {MASK}",
                                         "return torch.arange(k_len)[None, :] <= torch.arange(q_len)[:, None] "
                                         "+ (k_len - q_len)")]),
    "the dtype's minimum instead of -inf": (1, [('masked_fill(~allowed, float("-inf"))',
                                                 "masked_fill(~allowed, torch.finfo(scores.dtype).min)")]),
    "queries scaled before the product": (1, [("scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])",
                                               "scores = (q / math.sqrt(q.shape[-1])) @ k.transpose(-2, -1)")]),
    "cache grown along dim 2": (2, [(CAT, CAT.replace("dim=-2", "dim=2"))]),
    "heads by reshape and permute": (2, [("q, k, v = (split_heads(t, self.n_head) for t in (q, k, v))",
                                          "q, k, v = (t.reshape(*t.shape[:2], self.n_head, -1).permute(0, 2, 1, 3) "
                                          "for t in (q, k, v))")]),
    "generate with topk": (2, [("logits[:, -1].argmax(dim=-1, keepdim=True)",
                                "logits[:, -1].topk(1, dim=-1).indices")]),
    "lora_A drawn from a normal (peft's gaussian init)": (3, [("nn.init.kaiming_uniform_(self.lora_A, a=math.sqrt(5))",
                                                               "nn.init.normal_(self.lora_A, std=1 / r)")]),
    "forward through F.linear": (3, [("(x @ self.lora_A.T @ self.lora_B.T) * self.scaling",
                                      "torch.nn.functional.linear(torch.nn.functional.linear(x, self.lora_A), "
                                      "self.lora_B) * self.scaling")]),
    "merge through .data": (3, [(MERGE, MERGE.replace("self.base.weight +=", "self.base.weight.data +="))]),
}


def test_every_lab08_mutant_is_caught_by_its_task_and_named(tmp_path):
    mutants = {name: (task, edits) for name, (task, edits, _) in TABLE.items()}
    failed = mutant_failures(SOLUTION, "gpt.py", "test_gpt.py", mutants, tmp_path)
    uncaught = [f"{name} (Task {task})" for name, (task, _, _) in TABLE.items()
                if task not in {t for t, _, _ in failed[name]}]
    assert not uncaught, f"Lab 8's tests pass these buggy solutions: {uncaught}"
    unnamed = {name: [f"{test}: {message}" for _, test, message in failed[name]]
               for name, (_, _, says) in TABLE.items() if not any(says in message for _, _, message in failed[name])}
    assert not unnamed, f"no message names the mistake (expected phrase in TABLE): {unnamed}"


def test_every_right_variant_passes(tmp_path):
    rejected = rejected_variants(SOLUTION, "gpt.py", "test_gpt.py", VARIANTS, tmp_path)
    assert not rejected, f"Lab 8's tests refuse these correct solutions: {rejected}"


def test_every_check_has_a_message():
    lines = silent_asserts(SOLUTION / "test_gpt.py")
    assert not lines, f"test_gpt.py: checks without a message at lines {lines} (a learner reads the message)"
