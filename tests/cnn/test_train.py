"""The week's training loop: it learns, it is seeded, it stops where told, it applies the augmentation."""

import numpy as np
import pytest
import torch
from torch import nn

from aimastery.cnn.train import TrainConfig, as_tensor, evaluate, logits_of, predict_proba, to_channels_last, train
from aimastery.testing import one_torch_thread  # noqa: F401 (autouse fixture)


def toy(n=256, seed=0):
    """Bright-left versus bright-right 8x8 images: a task a tiny CNN learns in a few steps."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    X = rng.uniform(0, 0.3, (n, 8, 8)).astype(np.float32)
    for i, label in enumerate(y):
        X[i, :, :4] += 0.6 * (label == 0)
        X[i, :, 4:] += 0.6 * (label == 1)
    return X, y


def tiny(seed=0):
    torch.manual_seed(seed)
    return nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(2), nn.Flatten(),
                         nn.Linear(16, 2))


def test_it_learns_and_records_its_history():
    X, y = toy()
    model = tiny()
    before = evaluate(model, X, y)
    history = train(model, X, y, TrainConfig(epochs=3, batch_size=16, lr=0.05), X_val=X[:64], y_val=y[:64])
    after = evaluate(model, X, y)
    assert after.accuracy > 0.95 and after.loss < before.loss
    assert len(history.step_loss) == 3 * 16 and len(history.train) == len(history.val) == len(history.seconds) == 3
    assert history.train_seconds == pytest.approx(sum(history.seconds))
    probs = predict_proba(model, X)
    assert probs.shape == (256, 2) and np.allclose(probs.sum(1), 1, atol=1e-6)


def test_the_same_seed_gives_the_same_model():
    X, y = toy()
    runs = []
    for _ in range(2):
        model = tiny()
        train(model, X, y, TrainConfig(epochs=1, batch_size=32))
        runs.append(torch.cat([p.detach().flatten() for p in model.parameters()]))
    assert torch.equal(runs[0], runs[1])


def test_sgd_and_max_steps():
    X, y = toy()
    history = train(tiny(), X, y, TrainConfig(epochs=5, batch_size=32, lr=0.05, optimizer="sgd", max_steps=11))
    assert len(history.step_loss) == 11 and len(history.train) == 2  # 8 steps, then 3 of the second epoch


def test_the_augmentation_sees_every_training_batch_and_nothing_else():
    X, y = toy(n=100)
    seen = []

    def augment(xb, generator):
        assert isinstance(generator, torch.Generator)
        seen.append(len(xb))
        return xb.flip(-1)

    train(tiny(), X, y, TrainConfig(epochs=2, batch_size=32), X_val=X, y_val=y, augment=augment)
    assert seen == [32, 32, 32, 4] * 2


def test_bad_input_is_refused():
    X, y = toy()
    with pytest.raises(ValueError, match="same number"):
        train(tiny(), X, y[:10], TrainConfig())
    with pytest.raises(ValueError, match="optimizer must be one of"):
        TrainConfig(optimizer="adam")
    with pytest.raises(ValueError, match="max_steps"):
        TrainConfig(max_steps=0)
    assert as_tensor(X).shape == (256, 1, 8, 8) and as_tensor(X[:, None]).shape == (256, 1, 8, 8)


def test_channels_last_is_a_layout_not_a_different_answer():
    X, _ = toy(n=64)
    model = nn.Sequential(nn.Conv2d(1, 3, 3), nn.BatchNorm2d(3), nn.ReLU(), nn.Flatten(), nn.Linear(108, 2)).eval()
    x = as_tensor(X)
    with torch.no_grad():
        expected = model(x)
        got = logits_of(model, X)  # the model and the batches in channels_last
    assert model[0].weight.is_contiguous(memory_format=torch.channels_last)
    assert torch.allclose(got, expected, atol=1e-5)
    assert to_channels_last(x).is_contiguous(memory_format=torch.channels_last) and torch.equal(to_channels_last(x), x)
