"""Lab 5's tests must catch the mistakes learners make, not only pass the solution.

Each mutant is the reference solution with one classic bug; the lab's tests
must fail on every one of them, in the task that owns the bug.
"""

from aimastery.config import REPO_ROOT
from aimastery.labs.mutants import uncaught_mutants

SOLUTION = REPO_ROOT / "solutions" / "week05_cnn"
COL2IM_ADD = "xpad[:, :, p * dh:p * dh + sh * (H_out - 1) + 1:sh, q * dw:q * dw + sw * (W_out - 1) + 1:sw] += blocks[:, p, q]"

CONV_MUTANTS = {  # name: (the task that must catch it, [(text in the solution, replacement)])
    "flipped kernel (true convolution)": (1, [("out2d = w.reshape(C_out, -1) @ cols", "out2d = w[:, :, ::-1, ::-1].reshape(C_out, -1) @ cols")]),
    "wrong padding in the backward (crop)": (2, [("x = np.ascontiguousarray(xpad[:, :, ph:ph + H, pw:pw + W]", "x = np.ascontiguousarray(xpad[:, :, :H, :W]")]),
    "stride ignored in col2im": (2, [(COL2IM_ADD, "xpad[:, :, p * dh:p * dh + H_out, q * dw:q * dw + W_out] += blocks[:, p, q]")]),
    "pooling gradient routed to every element": (3, [("dcols[argmax, np.arange(argmax.size)] = dout.ravel()", "dcols[:] = dout.ravel()")]),
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
