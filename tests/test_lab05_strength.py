"""Lab 5's tests must catch the mistakes learners make, not only pass the solution.

Each mutant is the reference solution with one classic bug; the lab's tests
must fail on every one of them, in the task that owns the bug.
"""

from aimastery.config import REPO_ROOT
from aimastery.labs.hints import without_hints
from aimastery.labs.mutants import apply_edits, uncaught_mutants
from aimastery.labs.runner import run_lab

SOLUTION = REPO_ROOT / "solutions" / "week05_cnn"
TORCH_DX = ("dx = col2im(w.reshape(C_out, -1).T @ dout2d, x_shape, kernel, stride, padding, dilation)",
            "import torch\n    dx = torch.nn.grad.conv2d_input(x_shape, torch.from_numpy(w), torch.from_numpy(dout), "
            "stride, padding, dilation).numpy()")
COL2IM_ADD = "xpad[:, :, p * dh:p * dh + sh * (H_out - 1) + 1:sh, q * dw:q * dw + sw * (W_out - 1) + 1:sw] += blocks[:, p, q]"

CONV_MUTANTS = {  # name: (the task that must catch it, [(text in the solution, replacement)])
    "flipped kernel (true convolution)": (1, [("out2d = w.reshape(C_out, -1) @ cols", "out2d = w[:, :, ::-1, ::-1].reshape(C_out, -1) @ cols")]),
    "wrong padding in the backward (crop)": (2, [("x = np.ascontiguousarray(xpad[:, :, ph:ph + H, pw:pw + W]", "x = np.ascontiguousarray(xpad[:, :, :H, :W]")]),
    "stride ignored in col2im": (2, [(COL2IM_ADD, "xpad[:, :, p * dh:p * dh + H_out, q * dw:q * dw + W_out] += blocks[:, p, q]")]),
    "pooling gradient routed to every element": (3, [("dcols[argmax, np.arange(argmax.size)] = dout.ravel()", "dcols[:] = dout.ravel()")]),
    "max-pool backward ignores the dilation": (3, [("col2im(dcols, (N * C, 1, *xpad_shape[2:]), kernel, stride, 0, dilation)", "col2im(dcols, (N * C, 1, *xpad_shape[2:]), kernel, stride, 0, 1)")]),
    "dx from torch.nn.grad.conv2d_input": (2, [TORCH_DX]),
    "average-pool gradient not divided": (3, [("np.repeat(dout.reshape(1, -1) / n_taps, n_taps, axis=0)", "np.repeat(dout.reshape(1, -1), n_taps, axis=0)")]),
}

RESNET_MUTANTS = {
    "missing downsample shortcut": (4, [("identity = x if self.downsample is None else self.downsample(x)  # (N, planes, H', W')", "identity = x")]),
    "BasicBlock without the ReLU after the addition": (4, [("out = self.bn2(self.conv2(out))\n        return self.relu(out + identity)", "out = self.bn2(self.conv2(out))\n        return out + identity")]),
    "shortcut instead of downsample": (4, [("        self.bn2 = nn.BatchNorm2d(planes)\n        self.downsample = downsample", "        self.bn2 = nn.BatchNorm2d(planes)\n        self.shortcut = self.downsample = downsample")]),
    "stride on the wrong stage": (5, [("self.layer1 = self._make_layer(block, widths[0], layers[0])", "self.layer1 = self._make_layer(block, widths[0], layers[0], stride=2)")]),
    "head named classifier": (5, [("self.fc = nn.Linear(", "self.classifier = self.fc = nn.Linear(")]),
}


def test_every_conv_mutant_is_caught(tmp_path):
    uncaught = uncaught_mutants(SOLUTION, "conv.py", "test_conv.py", CONV_MUTANTS, tmp_path)
    assert not uncaught, f"Lab 5's tests pass these buggy convolutions: {uncaught}"


def test_every_resnet_mutant_is_caught(tmp_path):
    uncaught = uncaught_mutants(SOLUTION, "resnet.py", "test_resnet.py", RESNET_MUTANTS, tmp_path)
    assert not uncaught, f"Lab 5's tests pass these buggy ResNets: {uncaught}"


def test_a_torch_shortcut_fails_its_own_task_only(tmp_path):
    """torch in conv2d_backward (Task 2) is Task 2's failure: Tasks 1 and 3 still pass, their code being right."""
    source = without_hints((SOLUTION / "conv.py").read_text(encoding="utf-8"), "week05_cnn/conv.py")
    lab = tmp_path / "week05_shortcut"
    lab.mkdir()
    (lab / "__init__.py").write_text("", encoding="utf-8")
    (lab / "conv.py").write_text(apply_edits(source, "torch dx", [TORCH_DX]), encoding="utf-8")
    (lab / "test_conv.py").write_text((SOLUTION / "test_conv.py").read_text(encoding="utf-8"), encoding="utf-8")
    status = {t.number: t.status for t in run_lab(lab, extra_args=("--lab-no-shrink",)).tasks}
    assert status == {1: "passed", 2: "failed", 3: "passed"}, f"task verdicts on a torch dx: {status}"
