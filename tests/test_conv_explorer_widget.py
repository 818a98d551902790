"""The convolution explorer: its data, the feature maps and dot products it shows, learned kernels, the figure."""

import json

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest
import torch

from aimastery.testing import one_torch_thread  # noqa: F401 (autouse: small tensors, one thread)
from aimastery.widgets.conv_explorer import (
    KERNELS, PADDINGS, STRIDES, ConvExplorerWidget, Kernel, compute_conv_explorer, conv_explorer_widget,
    dot_product_at, feature_map, first_layer_kernels, output_shape, padding_for, plot_feature_maps, square,
)


@pytest.fixture(scope="module")
def data():
    return compute_conv_explorer()


def settings_of(data):
    return [(i, k, s, p) for i in range(len(data["images"])) for k in range(len(data["kernels"]))
            for s in range(len(STRIDES)) for p in range(len(PADDINGS))]


def test_default_data(data):
    names = [im["name"] for im in data["images"]]
    assert names == ["a 7 (MNIST test digit #0)", "a 2 (MNIST test digit #1)", "a 0 (MNIST test digit #3)",
                     "a square"]
    assert [k["name"] for k in data["kernels"]] == list(KERNELS)
    assert all(k["bias"] == 0 for k in data["kernels"])
    assert np.array(data["images"][0]["pixels"]).shape == (28, 28)
    assert (data["strides"], data["paddings"]) == ([1, 2], ["valid", "same"])
    assert json.loads(json.dumps(data)) == data and len(json.dumps(data)) < 60_000


def test_feature_maps_are_pytorchs_cross_correlation(data):
    for i, k, s, p in settings_of(data):
        x = torch.tensor(data["images"][i]["pixels"], dtype=torch.float64)[None, None]
        w = torch.tensor(data["kernels"][k]["weights"], dtype=torch.float64)[None, None]
        pad = padding_for(data["paddings"][p], w.shape[-1])
        expected = torch.nn.functional.conv2d(x, w, stride=data["strides"][s], padding=pad)[0, 0].numpy()
        got = feature_map(data, i, k, s, p)
        assert got.shape == expected.shape == output_shape(data, i, k, s, p)
        np.testing.assert_allclose(got, expected, rtol=0, atol=1e-12)


def test_output_size_formula(data):
    assert output_shape(data, 0, 0, 0, 0) == (26, 26)  # (28 - 3) / 1 + 1
    assert output_shape(data, 0, 0, 0, 1) == (28, 28)  # same padding
    assert output_shape(data, 0, 0, 1, 0) == (13, 13)  # (28 - 3) // 2 + 1
    assert output_shape(data, 3, 0, 1, 1) == (8, 8)  # the 16 x 16 square: (16 + 2 - 3) // 2 + 1


def test_every_dot_product_is_a_cell_of_the_feature_map(data):
    for i, k, s, p in [(0, 0, 0, 0), (1, 3, 1, 1), (3, 4, 0, 1)]:
        out = feature_map(data, i, k, s, p)
        for step in range(out.size):
            at = dot_product_at(data, step, i, k, s, p)
            assert (at["row"], at["col"]) == divmod(step, out.shape[1])
            assert at["value"] == pytest.approx(out[at["row"], at["col"]], abs=1e-12)
            np.testing.assert_allclose(at["products"], at["patch"] * np.array(data["kernels"][k]["weights"]))


def test_the_padding_reads_as_zeros(data):
    at = dot_product_at(data, 0, image=3, kernel=0, padding=1)  # the square, "same": the window starts at (-1, -1)
    assert (at["top"], at["left"]) == (-1, -1)
    assert (at["patch"][0] == 0).all() and (at["patch"][:, 0] == 0).all()
    with pytest.raises(ValueError, match=r"step is 0 to 255 \(16 x 16 output positions\)"):
        dot_product_at(data, 256, image=3, kernel=0, padding=1)


def test_edge_kernels_find_the_squares_edges(data):
    sobel_x = feature_map(data, image=3, kernel=0)  # vertical edges: dark to light is positive
    assert sobel_x[6, 2] > 0 and sobel_x[6, 11] < 0 and sobel_x[6, 7] == 0  # left edge, right edge, inside
    blur = feature_map(data, image=3, kernel=2)
    assert blur.max() == pytest.approx(1.0) and 0 < blur[3, 3] < 1


def test_extra_kernels_are_listed_after_the_built_in_ones():
    d = compute_conv_explorer({"square": square()}, {"mine": np.ones((2, 2)), "biased": Kernel(np.eye(3), 0.5)})
    assert [k["name"] for k in d["kernels"]][-2:] == ["mine", "biased"]
    assert d["kernels"][-1]["bias"] == 0.5
    assert feature_map(d, 0, len(d["kernels"]) - 1).min() == 0.5  # the bias is added everywhere
    alone = compute_conv_explorer({"square": square()}, {"mine": np.ones((2, 2))}, builtin_kernels=False)
    assert [k["name"] for k in alone["kernels"]] == ["mine"]


@pytest.mark.parametrize("images, kernels, message", [
    ({"x": np.zeros((2, 5))}, None, "3 to 40 pixels a side"),
    ({"x": np.zeros((50, 50))}, None, "3 to 40 pixels a side"),
    ({"x": np.full((5, 5), 2.0)}, None, r"in \[0, 1\]"),
    ({"x": np.zeros((5, 5, 3))}, None, "greyscale"),
    ({"x": square()}, {"k": np.ones((2, 3))}, "square"),
    ({"x": square()}, {"k": np.ones((9, 9))}, "k from 1 to 7"),
    ({"x": square()}, {"k": np.full((3, 3), np.nan)}, "finite"),
    ({"x": np.zeros((4, 4))}, {"k": np.ones((5, 5))}, "smallest image is 4 pixels"),
    ({}, None, "at least one image"),
])
def test_bad_images_and_kernels_are_refused(images, kernels, message):
    with pytest.raises(ValueError, match=message):
        compute_conv_explorer(images, kernels)


def test_learned_kernels_give_the_layers_own_output(data):
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Conv2d(1, 8, 5, padding=2), torch.nn.ReLU(), torch.nn.Flatten())
    learned = first_layer_kernels(model, n=3)
    assert list(learned) == ["learned 1 of 8", "learned 2 of 8", "learned 3 of 8"]
    d = compute_conv_explorer(kernels=learned)
    x = torch.tensor(d["images"][0]["pixels"], dtype=torch.float32)[None, None]
    with torch.no_grad():
        layer = model[0](x)[0].double().numpy()  # (8, 28, 28)
    for j in range(3):
        k = len(KERNELS) + j
        got = feature_map(d, 0, k, stride=0, padding=1)  # "same": the layer's padding of 2 for 5 x 5
        np.testing.assert_allclose(got, layer[j], atol=5e-4)  # weights stored to 4 decimals
    with pytest.raises(ValueError, match="no Conv2d layer with one input channel"):
        first_layer_kernels(torch.nn.Sequential(torch.nn.Linear(3, 3)))


def test_figure(data):
    fig = plot_feature_maps(data, image=0, kernels=[0, 2, 3])
    assert len([ax for ax in fig.axes if ax.images]) == 1 + 2 * 3
    matplotlib.pyplot.close("all")


def test_widget(data):
    widget = conv_explorer_widget(data, image=1, kernel=2)
    assert isinstance(widget, ConvExplorerWidget) and (widget.image, widget.kernel) == (1, 2)
    out = np.abs(feature_map(data, 1, 2)).ravel()  # the window opens where the kernel first meets the ink
    assert out[widget.step] >= 0.5 * out.max() and (out[:widget.step] < 0.5 * out.max()).all()
    assert conv_explorer_widget(data, step=5).step == 5
    assert "data-aim-widget" in widget._esm and "data-aim-control" in widget._esm and "syncWithUrl" in widget._esm
    with pytest.raises(ValueError, match="step is 0 to 675"):
        conv_explorer_widget(data, step=676)
    with pytest.raises(ValueError, match="image is 0 to 3"):
        conv_explorer_widget(data, image=4)
