"""Lab 5's tests must catch the mistakes learners make, not only pass the solution.

Each mutant is the reference solution with one classic bug; the lab's tests
must fail on every one of them, in the task that owns the bug.
"""

import json

from aimastery.config import REPO_ROOT
from aimastery.labs.expect import silent_asserts
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
    "BasicBlock with the stride on conv2": (4, [("self.conv1 = conv3x3(inplanes, planes, stride)\n", "self.conv1 = conv3x3(inplanes, planes)\n"), ("self.conv2 = conv3x3(planes, planes)\n        self.bn2 = nn.BatchNorm2d(planes)\n        self.downsample", "self.conv2 = conv3x3(planes, planes, stride)\n        self.bn2 = nn.BatchNorm2d(planes)\n        self.downsample")]),
    "Bottleneck with the stride on conv1": (4, [("self.conv1 = conv1x1(inplanes, planes)", "self.conv1 = conv1x1(inplanes, planes, stride)"), ("self.conv2 = conv3x3(planes, planes, stride)", "self.conv2 = conv3x3(planes, planes)")]),
    "no stride-1 downsample (ResNet-50's layer1)": (5, [("if stride != 1 or self.inplanes != out_planes:", "if stride != 1:")]),
    "small_input keeps the max-pool": (5, [("self.maxpool = nn.Identity() if small_input else nn.MaxPool2d(", "self.maxpool = nn.MaxPool2d(")]),
    "modules created out of order (bn1 before conv1)": (5, [("        self.inplanes = widths[0]\n        if small_input:", "        self.inplanes = widths[0]\n        self.bn1 = nn.BatchNorm2d(widths[0])\n        if small_input:")]),
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


def failures(module, test_file, mutants, workdir):
    """Each mutant's failing tests in its own task, as {mutant: {test name: (message, hypothesis example)}}."""
    source = without_hints((SOLUTION / module).read_text(encoding="utf-8"), f"week05_cnn/{module}")
    tests = (SOLUTION / test_file).read_text(encoding="utf-8")
    names, tasks = {}, {}
    for i, (name, (task, edits)) in enumerate(mutants.items()):
        lab = workdir / f"week05_said{i:02d}"
        lab.mkdir(parents=True)
        (lab / "__init__.py").write_text("", encoding="utf-8")
        (lab / module).write_text(apply_edits(source, name, edits), encoding="utf-8")
        (lab / test_file).write_text(tests, encoding="utf-8")
        names[lab.name], tasks[lab.name] = name, task
    task_map = workdir / "tasks.json"
    task_map.write_text(json.dumps(tasks), encoding="utf-8")
    report = run_lab(workdir, extra_args=(f"--lab-task-map={task_map}", "--lab-no-shrink"))
    found = {name: {} for name in mutants}
    for t in report.tests:
        lab = next(part for part in t.nodeid.split("::")[0].split("/") if part in names)
        if t.outcome != "passed":
            found[names[lab]][t.name] = (t.message or "", t.example or "")
    return found


def test_the_failures_say_what_is_wrong(tmp_path):
    """A learner reads the message: it names the gradient, labels the failing input, says where the stride goes."""
    conv = failures("conv.py", "test_conv.py", {k: CONV_MUTANTS[k] for k in (
        "wrong padding in the backward (crop)", "max-pool backward ignores the dilation")}, tmp_path / "conv")
    crop = conv["wrong padding in the backward (crop)"]
    fd = next(m for name, (m, _) in crop.items() if "finite_differences" in name)
    assert fd.startswith("AssertionError: dx: relative error"), f"the finite-difference check names dx: {fd!r}"
    torch_case = next(e for name, (_, e) in crop.items() if "backward_equals_torch" in name)
    assert "ConvCase(x_shape=" in torch_case and "dilation=" in torch_case, f"unlabelled example: {torch_case!r}"
    pool = conv["max-pool backward ignores the dilation"]
    example = next(e for name, (_, e) in pool.items() if "max_pool_backward_equals_torch" in name)
    assert "PoolCase(x_shape=" in example and "dilation=" in example, f"unlabelled example: {example!r}"

    nets = failures("resnet.py", "test_resnet.py", {k: RESNET_MUTANTS[k] for k in (
        "missing downsample shortcut", "BasicBlock with the stride on conv2", "Bottleneck with the stride on conv1")},
        tmp_path / "resnet")
    said = " | ".join(m for m, _ in nets["missing downsample shortcut"].values())
    assert "F(x) and the shortcut differ in shape" in said and "the shortcut is self.downsample(x)" in said, said
    assert "RuntimeError" not in said, f"a raw torch error reached the learner: {said}"
    said = " | ".join(m for m, _ in nets["BasicBlock with the stride on conv2"].values())
    assert "on conv1, the first 3x3" in said, said
    said = " | ".join(m for m, _ in nets["Bottleneck with the stride on conv1"].values())
    assert "on conv2, the 3x3" in said, said


def test_every_check_has_a_message():
    for name in ("test_conv.py", "test_resnet.py"):
        lines = silent_asserts(SOLUTION / name)
        assert not lines, f"{name}: checks without a message at lines {lines} (a learner reads the message)"
