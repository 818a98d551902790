"""The ResNet builder: torchvision's key names and shapes, the canonical parameter counts, the small variant."""

import pytest
import torch

from aimastery.cnn.resnet import BasicBlock, Bottleneck, ResNet, resnet18, resnet34, resnet50
from aimastery.testing import one_torch_thread  # noqa: F401 (autouse fixture)

BN = ("weight", "bias", "running_mean", "running_var", "num_batches_tracked")


def bn_keys(prefix, c):
    return [(f"{prefix}.{k}", () if k == "num_batches_tracked" else (c,)) for k in BN]


def expected_state(block, layers, num_classes=1000, widths=(64, 128, 256, 512), stem=7):
    """(key, shape) of every entry of torchvision's state_dict, from the architecture's definition (He et al. 2016)."""
    out = [("conv1.weight", (widths[0], 3, stem, stem))] + bn_keys("bn1", widths[0])
    inplanes = widths[0]
    for stage, (n, planes) in enumerate(zip(layers, widths), start=1):
        stride = 1 if stage == 1 else 2
        for b in range(n):
            p = f"layer{stage}.{b}"
            if block == "basic":
                convs = [(inplanes, planes, 3), (planes, planes, 3)]
                width_out = planes
            else:
                convs = [(inplanes, planes, 1), (planes, planes, 3), (planes, 4 * planes, 1)]
                width_out = 4 * planes
            for i, (cin, cout, k) in enumerate(convs, start=1):
                out += [(f"{p}.conv{i}.weight", (cout, cin, k, k))] + bn_keys(f"{p}.bn{i}", cout)
            if b == 0 and (stride != 1 or inplanes != width_out):
                out += [(f"{p}.downsample.0.weight", (width_out, inplanes, 1, 1))] + bn_keys(f"{p}.downsample.1", width_out)
            inplanes = width_out
    return out + [("fc.weight", (num_classes, inplanes)), ("fc.bias", (num_classes,))]


def n_params(state):
    trainable = [s for k, s in state if not k.endswith(("running_mean", "running_var", "num_batches_tracked"))]
    return sum(torch.Size(s).numel() for s in trainable)


@pytest.mark.parametrize("build, block, layers, canonical", [
    (resnet18, "basic", [2, 2, 2, 2], 11_689_512),
    (resnet34, "basic", [3, 4, 6, 3], 21_797_672),
    (resnet50, "bottleneck", [3, 4, 6, 3], 25_557_032),
])
def test_state_dict_is_torchvisions(build, block, layers, canonical):
    model = build()
    got = [(k, tuple(v.shape)) for k, v in model.state_dict().items()]
    want = expected_state(block, layers)
    assert got == want
    assert sum(p.numel() for p in model.parameters()) == n_params(want) == canonical  # the published figures


def test_resnet18_other_class_count():
    model = resnet18(num_classes=10)
    assert sum(p.numel() for p in model.parameters()) == 11_689_512 - 1000 * 513 + 10 * 513
    assert model(torch.randn(2, 3, 64, 64)).shape == (2, 10)


def test_small_variant_for_small_images():
    model = ResNet(BasicBlock, [1, 1, 1, 1], 6, widths=(16, 32, 64, 128), small_input=True).eval()
    got = [(k, tuple(v.shape)) for k, v in model.state_dict().items()]
    assert got == expected_state("basic", [1, 1, 1, 1], 6, (16, 32, 64, 128), stem=3)
    x = torch.randn(3, 3, 64, 64)
    assert model(x).shape == (3, 6)
    # no max-pool and a stride-1 stem: 64 -> 64, 32, 16, 8 through the stages
    assert model.layer4(model.layer3(model.layer2(model.layer1(model.relu(model.bn1(model.conv1(x))))))).shape == (3, 128, 8, 8)


def test_initialisation_is_torchvisions():
    model = resnet18(zero_init_residual=True)
    assert torch.all(model.bn1.weight == 1) and torch.all(model.bn1.bias == 0)
    assert torch.all(model.layer1[0].bn2.weight == 0)
    w = model.layer3[1].conv1.weight  # He-normal with fan-out 256 * 3 * 3: std sqrt(2 / fan_out)
    assert abs(w.std().item() - (2 / (256 * 9)) ** 0.5) < 0.05 * (2 / (256 * 9)) ** 0.5
    assert torch.all(resnet50(zero_init_residual=True).layer2[0].bn3.weight == 0)


def test_blocks_shapes():
    x = torch.randn(2, 32, 16, 16)
    down = torch.nn.Sequential(torch.nn.Conv2d(32, 64, 1, stride=2, bias=False), torch.nn.BatchNorm2d(64))
    assert BasicBlock(32, 64, 2, down)(x).shape == (2, 64, 8, 8)
    down = torch.nn.Sequential(torch.nn.Conv2d(32, 64, 1, bias=False), torch.nn.BatchNorm2d(64))
    assert Bottleneck(32, 16, 1, down)(x).shape == (2, 64, 16, 16)


@pytest.mark.parametrize("kwargs, message", [
    (dict(layers=[2, 2, 2]), "four stages"),
    (dict(layers=[2, 0, 2, 2]), "at least one block"),
    (dict(layers=[2, 2, 2, 2], widths=(8, 16)), "four stages"),
    (dict(layers=[2, 2, 2, 2], num_classes=0), "at least one class"),
])
def test_bad_configuration(kwargs, message):
    with pytest.raises(ValueError, match=message):
        ResNet(BasicBlock, **kwargs)


def test_bad_input_shape():
    model = ResNet(BasicBlock, [1, 1, 1, 1], 3, widths=(4, 4, 4, 4), small_input=True)
    with pytest.raises(ValueError, match=r"\(N, 3, H, W\)"):
        model(torch.randn(2, 1, 16, 16))
    with pytest.raises(ValueError, match=r"\(N, 3, H, W\)"):
        model(torch.randn(3, 16, 16))
