"""Lab 7's tests must catch the mistakes learners make, each in the task that owns it.

Each mutant is the reference solution with one classic bug (mask after the
softmax, no sqrt(d), heads split along the wrong axis, pre-LN, tanh GELU, q/k/v
stacked in the wrong order, ...).
"""

from aimastery.config import REPO_ROOT
from aimastery.labs.mutants import uncaught_mutants

SOLUTION = REPO_ROOT / "solutions" / "week07_attention_bert"

MASKED = '''            scores = scores + mask
    weights = scores.softmax(dim=-1)
'''

MUTANTS = {  # name: (the task that must catch it, [(text in the solution, replacement)])
    # Task 1: attention with masks
    "mask applied after the softmax": (1, [('scores = scores.masked_fill(~mask, float("-inf"))', "pass"),
                                           (MASKED, '''            scores = scores + mask
    weights = scores.softmax(dim=-1)
    if mask is not None and mask.dtype == torch.bool:
        weights = weights.masked_fill(~mask, 0.0)
''')]),
    "no sqrt(d) scaling": (1, [("scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])",
                                "scores = q @ k.transpose(-2, -1)")]),
    "scaled by d instead of sqrt(d)": (1, [("/ math.sqrt(q.shape[-1])", "/ q.shape[-1]")]),
    "softmax over the queries": (1, [("weights = scores.softmax(dim=-1)", "weights = scores.softmax(dim=-2)")]),
    "mask the wrong way round": (1, [("scores.masked_fill(~mask,", "scores.masked_fill(mask,")]),
    "causal mask sees the future": (1, [("dtype=torch.bool).tril()", "dtype=torch.bool).triu()")]),
    "causal mask hides the token itself": (1, [("dtype=torch.bool).tril()", "dtype=torch.bool).tril(-1)")]),
    "float mask treated as a boolean one": (1, [("        if mask.dtype == torch.bool:\n", "        if True:\n"),
                                                 ("scores.masked_fill(~mask,", "scores.masked_fill(~mask.bool(),")]),
    "float mask ignored": (1, [("            scores = scores + mask\n", "            pass\n")]),
    "weights detached from autograd": (1, [("    out = weights @ v\n", "    out = weights.detach() @ v\n")]),
    "keys counted from the queries' length": (1, [("scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])",
                                                   "scores = q @ k[..., :q.shape[-2], :].transpose(-2, -1) "
                                                   "/ math.sqrt(q.shape[-1])")]),
    "fused attention imported at module level": (1, [("import torch.nn.functional as F\n",
                                                      "import torch.nn.functional as F\n"
                                                      "from torch.nn.functional import scaled_dot_product_attention"
                                                      " as _sdpa\n"),
                                                     ("    weights = scores.softmax(dim=-1)\n    out = weights @ v\n",
                                                      "    weights = scores.softmax(dim=-1)\n"
                                                      "    out = _sdpa(q, k, v, attn_mask=mask)\n")]),
    "the course's attention imported": (1, [("import torch.nn.functional as F\n",
                                             "import torch.nn.functional as F\n"
                                             "from aimastery.attention import causal_mask as _cm  # noqa\n")]),
    # Task 2: multi-head attention
    "heads split along the wrong axis": (2, [("return x.view(B, T, num_heads, E // num_heads).transpose(1, 2)",
                                              "return x.view(B, num_heads, T, E // num_heads)")]),
    "heads merged without swapping back": (2, [("return x.transpose(1, 2).reshape(B, T, H * d)",
                                                "return x.reshape(B, T, H * d)")]),
    "q and k stacked the other way": (2, [("q, k, v = F.linear(x, self.in_proj_weight, self.in_proj_bias)",
                                           "k, q, v = F.linear(x, self.in_proj_weight, self.in_proj_bias)")]),
    "padding masked over the queries": (2, [("mask = attention_mask.bool()[:, None, None, :]",
                                             "mask = attention_mask.bool()[:, None, :, None]")]),
    "no output projection": (2, [("out = self.out_proj(merge_heads(out))", "out = merge_heads(out)")]),
    "causal flag ignored": (2, [("        if causal:\n            c = causal_mask",
                                 "        if False:\n            c = causal_mask")]),
    # Task 3: the encoder layer
    "pre-LN instead of post-LN": (3, [("""        x = self.norm1(x + h)
        x = self.norm2(x + self.linear2(F.gelu(self.linear1(x))))""",
                                       """        x = x + self.self_attn(self.norm1(x), attention_mask)[0]
        x = x + self.linear2(F.gelu(self.linear1(self.norm2(x))))""")]),
    "tanh GELU": (3, [("self.linear2(F.gelu(self.linear1(x)))",
                       "self.linear2(F.gelu(self.linear1(x), approximate=\"tanh\"))")]),
    "ReLU instead of GELU": (3, [("self.linear2(F.gelu(self.linear1(x)))", "self.linear2(F.relu(self.linear1(x)))")]),
    "LayerNorm eps left at 1e-5": (3, [("self.norm1 = nn.LayerNorm(d_model, eps=layer_norm_eps)",
                                        "self.norm1 = nn.LayerNorm(d_model)")]),
    "no residual around the feed-forward block": (3, [("x = self.norm2(x + self.linear2(", "x = self.norm2(self.linear2(")]),
    "padding mask not passed to attention": (3, [("h, _ = self.self_attn(x, attention_mask)", "h, _ = self.self_attn(x)")]),
    # Task 4: the checkpoint's names
    "value and key swapped": (4, [('for n in ("query", "key", "value")]),\n        "self_attn.in_proj_bias"',
                                   'for n in ("query", "value", "key")]),\n        "self_attn.in_proj_bias"')]),
    "LayerNorms swapped": (4, [('("norm1", "attention.output.LayerNorm")', '("norm1", "output.LayerNorm")'),
                               ('("norm2", "output.LayerNorm")', '("norm2", "attention.output.LayerNorm")')]),
    "always layer 0": (4, [('p = f"encoder.layer.{layer}."', 'p = "encoder.layer.0."')]),
    "biases of the query only": (4, [('torch.cat([tensors[p + f"attention.self.{n}.bias"]\n'
                                      '                                             for n in ("query", "key", "value")])',
                                      'tensors[p + "attention.self.query.bias"].repeat(3)')]),
}



def test_every_lab07_mutant_is_caught(tmp_path):
    uncaught = uncaught_mutants(SOLUTION, "transformer.py", "test_transformer.py", MUTANTS, tmp_path)
    assert not uncaught, f"Lab 7's tests pass these buggy solutions: {uncaught}"
