"""Lab 5 tests, part 2: your residual blocks and ResNet-18 against a functional reference and torchvision's names."""

import pytest
import torch
import torch.nn.functional as F

from aimastery.labs.scratch import assert_written_from_scratch

from . import resnet
from .resnet import BasicBlock, Bottleneck, ResNet, resnet18, resnet50

TASK4 = pytest.mark.task(4, "BasicBlock and Bottleneck, with the downsample shortcut")
TASK5 = pytest.mark.task(5, "the ResNet-18 builder: names, shapes, parameter count")

FINISHED = ("torchvision", "timm", "aimastery.cnn")
BN = ("weight", "bias", "running_mean", "running_var", "num_batches_tracked")
WHERE_THE_STRIDE_GOES = {False: "BasicBlock: on conv1, the first 3x3 (torchvision's convention), conv2 has stride 1",
                         True: "Bottleneck: on conv2, the 3x3 (torchvision's v1.5), the 1x1 convolutions have stride 1"}


def from_scratch(*names):
    """The task's own classes and functions (and what they use) import no finished ResNet."""
    assert_written_from_scratch(resnet, FINISHED, functions=names)


def run_block(block, x, stride, bottleneck):
    """The block's output and the reference's, with a learner's message for a shortcut of the wrong shape."""
    with torch.no_grad():
        expected = reference_block(block.state_dict(), "", x, stride, bottleneck)
        try:
            out = block(x.clone())
        except RuntimeError as err:
            if "must match the size of tensor" not in str(err):
                raise
            raise AssertionError(
                f"F(x) and the shortcut differ in shape (the block's output should be {tuple(expected.shape)}, its "
                f"input x is {tuple(x.shape)}; torch: {err}): when stride != 1 or the channels change, the "
                f"shortcut is self.downsample(x)") from None
    return out, expected


def stride_note(stride, bottleneck):
    return f"; with stride {stride}, mind where the stride goes: {WHERE_THE_STRIDE_GOES[bottleneck]}" if stride > 1 else ""


def assert_keys(block, expected):
    got = list(block.state_dict())
    assert got == expected, (f"{type(block).__name__}'s state_dict keys are {got}, torchvision's {expected}: name "
                             f"the layers as the class docstring does and create them in that order")


@pytest.fixture(autouse=True)
def one_thread_and_seeded():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    torch.manual_seed(0)
    yield
    torch.set_num_threads(before)


def randomise_batch_norms(model):
    """Batch norms with random scales, shifts and running statistics, so that none of them is the identity."""
    g = torch.Generator().manual_seed(1)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.weight.copy_(torch.rand(m.num_features, generator=g) + 0.5)
                m.bias.copy_(torch.randn(m.num_features, generator=g) * 0.5)
                m.running_mean.copy_(torch.randn(m.num_features, generator=g) * 0.2)
                m.running_var.copy_(torch.rand(m.num_features, generator=g) + 0.5)
    return model


def bn(s, prefix, x):
    return F.batch_norm(x, s[f"{prefix}.running_mean"], s[f"{prefix}.running_var"], s[f"{prefix}.weight"],
                        s[f"{prefix}.bias"], training=False, eps=1e-5)


def reference_block(s, p, x, stride, bottleneck):
    """He et al.'s residual block in eval mode, read from state_dict s under prefix p (torchvision's names)."""
    if bottleneck:
        out = F.relu(bn(s, f"{p}bn1", F.conv2d(x, s[f"{p}conv1.weight"])))
        out = F.relu(bn(s, f"{p}bn2", F.conv2d(out, s[f"{p}conv2.weight"], stride=stride, padding=1)))
        out = bn(s, f"{p}bn3", F.conv2d(out, s[f"{p}conv3.weight"]))
    else:
        out = F.relu(bn(s, f"{p}bn1", F.conv2d(x, s[f"{p}conv1.weight"], stride=stride, padding=1)))
        out = bn(s, f"{p}bn2", F.conv2d(out, s[f"{p}conv2.weight"], padding=1))
    if f"{p}downsample.0.weight" in s:
        x = bn(s, f"{p}downsample.1", F.conv2d(x, s[f"{p}downsample.0.weight"], stride=stride))
    return F.relu(out + x)


def block_keys(prefix, convs, down):
    keys = []
    for i in range(1, convs + 1):
        keys += [f"{prefix}conv{i}.weight"] + [f"{prefix}bn{i}.{b}" for b in BN]
    if down:
        keys += [f"{prefix}downsample.0.weight"] + [f"{prefix}downsample.1.{b}" for b in BN]
    return keys


def expected_state(bottleneck, layers, num_classes=1000, widths=(64, 128, 256, 512), stem=7):
    """(key, shape) of every entry of torchvision's state_dict, from the architecture's definition."""
    def bn_entries(prefix, c):
        return [(f"{prefix}.{k}", () if k == "num_batches_tracked" else (c,)) for k in BN]

    out = [("conv1.weight", (widths[0], 3, stem, stem))] + bn_entries("bn1", widths[0])
    inplanes = widths[0]
    for stage, (n, planes) in enumerate(zip(layers, widths), start=1):
        for b in range(n):
            p = f"layer{stage}.{b}"
            width_out = 4 * planes if bottleneck else planes
            convs = ([(inplanes, planes, 1), (planes, planes, 3), (planes, 4 * planes, 1)] if bottleneck
                     else [(inplanes, planes, 3), (planes, planes, 3)])
            for i, (cin, cout, k) in enumerate(convs, start=1):
                out += [(f"{p}.conv{i}.weight", (cout, cin, k, k))] + bn_entries(f"{p}.bn{i}", cout)
            if b == 0 and (stage > 1 or inplanes != width_out):
                out += [(f"{p}.downsample.0.weight", (width_out, inplanes, 1, 1))] + bn_entries(f"{p}.downsample.1", width_out)
            inplanes = width_out
    return out + [("fc.weight", (num_classes, inplanes)), ("fc.bias", (num_classes,))]


def assert_state(model, expected):
    got = [(k, tuple(v.shape)) for k, v in model.state_dict().items()]
    missing = [k for k, _ in expected if k not in dict(got)]
    extra = [k for k, _ in got if k not in dict(expected)]
    assert not missing and not extra, (f"state_dict keys differ from torchvision's: missing {missing[:6]}, "
                                       f"unexpected {extra[:6]} (the attribute names make the keys)")
    wrong = [(k, s, dict(expected)[k]) for k, s in got if s != dict(expected)[k]]
    assert not wrong, f"shapes differ from torchvision's (key, yours, expected): {wrong[:4]}"
    assert got == expected, "the keys are right but in another order: create the modules in torchvision's order"


# ----- Task 4: the blocks


@TASK4
@pytest.mark.parametrize("inplanes, planes, stride, down", [(8, 8, 1, False), (8, 16, 2, True), (8, 16, 1, True)])
def test_basic_block(inplanes, planes, stride, down):
    from_scratch("BasicBlock", "Bottleneck")
    shortcut = torch.nn.Sequential(torch.nn.Conv2d(inplanes, planes, 1, stride, bias=False),
                                   torch.nn.BatchNorm2d(planes)) if down else None
    block = randomise_batch_norms(BasicBlock(inplanes, planes, stride, shortcut)).eval()
    assert_keys(block, block_keys("", 2, down))
    x = torch.randn(2, inplanes, 9, 9)
    out, expected = run_block(block, x, stride, False)
    assert out.shape == expected.shape, (f"BasicBlock({inplanes}, {planes}, stride={stride}) gives "
                                         f"{tuple(expected.shape)}, yours {tuple(out.shape)}{stride_note(stride, False)}")
    if (out < 0).any():
        raise AssertionError("the block's output has negative numbers: the last ReLU comes after the addition")
    assert torch.allclose(out, expected, atol=1e-5), \
        f"BasicBlock({inplanes}, {planes}, stride={stride}) differs from relu(bn2(conv2(relu(bn1(conv1(x))))) + " \
        f"shortcut(x)), the shortcut being self.downsample(x) when given, else x{stride_note(stride, False)}"


@TASK4
def test_basic_block_trains_its_batch_norms():
    block = BasicBlock(4, 4).train()
    block(torch.randn(3, 4, 5, 5) + 2)
    assert block.bn1.num_batches_tracked.item() == 1 and block.bn2.num_batches_tracked.item() == 1, \
        "each of bn1 and bn2 runs once per forward pass"


@TASK4
@pytest.mark.parametrize("inplanes, planes, stride", [(16, 4, 1), (8, 4, 2)])
def test_bottleneck(inplanes, planes, stride):
    shortcut = torch.nn.Sequential(torch.nn.Conv2d(inplanes, 4 * planes, 1, stride, bias=False),
                                   torch.nn.BatchNorm2d(4 * planes)) if stride != 1 or inplanes != 4 * planes else None
    block = randomise_batch_norms(Bottleneck(inplanes, planes, stride, shortcut)).eval()
    assert_keys(block, block_keys("", 3, shortcut is not None))
    assert tuple(block.conv2.weight.shape) == (planes, planes, 3, 3) and block.conv2.stride == (stride, stride), \
        f"conv2 is the 3x3, planes -> planes, and carries the stride ({WHERE_THE_STRIDE_GOES[True]}); got weight " \
        f"{tuple(block.conv2.weight.shape)}, stride {block.conv2.stride}"
    x = torch.randn(2, inplanes, 8, 8)
    out, expected = run_block(block, x, stride, True)
    assert out.shape == expected.shape and torch.allclose(out, expected, atol=1e-5), \
        f"Bottleneck({inplanes}, {planes}, stride={stride}) differs from " \
        f"relu(bn3(conv3(relu(bn2(conv2(relu(bn1(conv1(x)))))))) + shortcut(x)){stride_note(stride, True)}"


# ----- Task 5: the builder


def reference_resnet(s, x, bottleneck, layers, small=False):
    if small:
        x = F.relu(bn(s, "bn1", F.conv2d(x, s["conv1.weight"], padding=1)))
    else:
        x = F.max_pool2d(F.relu(bn(s, "bn1", F.conv2d(x, s["conv1.weight"], stride=2, padding=3))), 3, 2, 1)
    for stage, n in enumerate(layers, start=1):
        for b in range(n):
            x = reference_block(s, f"layer{stage}.{b}.", x, 2 if stage > 1 and b == 0 else 1, bottleneck)
    return F.linear(x.mean(dim=(2, 3)), s["fc.weight"], s["fc.bias"])


@TASK5
def test_resnet18_names_shapes_and_parameter_count():
    from_scratch("ResNet", "resnet18", "resnet34", "resnet50")
    model = resnet18()
    assert_state(model, expected_state(False, [2, 2, 2, 2]))
    n = sum(p.numel() for p in model.parameters())
    assert n == 11_689_512, f"ResNet-18 for 1,000 classes has 11,689,512 parameters (He et al., torchvision); got {n:,}"


@TASK5
def test_resnet18_forward_equals_the_reference():
    model = randomise_batch_norms(resnet18(num_classes=10)).eval()
    x = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        out, expected = model(x), reference_resnet(model.state_dict(), x, False, [2, 2, 2, 2])
    assert out.shape == (2, 10), f"resnet18(num_classes=10) on (2, 3, 64, 64) gives (2, 10) logits, got {tuple(out.shape)}"
    assert torch.allclose(out, expected, atol=1e-4, rtol=1e-4), \
        "the logits differ from the reference: check the stem (7x7 stride 2 padding 3, 3x3 max-pool stride 2 " \
        "padding 1), which stages halve the resolution (2, 3 and 4, in their first block), and the head"


@TASK5
def test_resnet50_uses_the_expansion():
    model = resnet50()
    assert_state(model, expected_state(True, [3, 4, 6, 3]))
    n = sum(p.numel() for p in model.parameters())
    assert n == 25_557_032, f"ResNet-50 has 25,557,032 parameters; got {n:,} (mind block.expansion)"


@TASK5
def test_small_variant():
    model = randomise_batch_norms(ResNet(BasicBlock, [1, 1, 1, 1], 6, widths=(8, 16, 16, 32), small_input=True)).eval()
    assert_state(model, expected_state(False, [1, 1, 1, 1], 6, (8, 16, 16, 32), stem=3))
    x = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        out, expected = model(x), reference_resnet(model.state_dict(), x, False, [1, 1, 1, 1], small=True)
    assert torch.allclose(out, expected, atol=1e-4, rtol=1e-4), \
        "small_input=True: conv1 a 3x3 stride-1 convolution with padding 1, and maxpool = nn.Identity() (no max-pool)"
