"""Fixtures for the serving tests: a tiny CNN trained on MNIST for a few seconds, exported once per session."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from aimastery.config import seed_everything
from aimastery.data.mnist import load_mnist

N_TRAIN = 4000


class TinyCNN(nn.Module):
    """(B, 1, 28, 28) -> (B, 10): conv 5x5 -> batch norm -> ReLU -> pool, conv 3x3 -> ReLU -> pool, linear.

    Batch norm is there so that the export carries buffers (running statistics) as well as parameters.
    """

    def __init__(self, width: int = 6):
        super().__init__()
        self.conv1 = nn.Conv2d(1, width, 5)  # 28 -> 24
        self.bn1 = nn.BatchNorm2d(width)
        self.conv2 = nn.Conv2d(width, 2 * width, 3)  # 12 -> 10
        self.fc = nn.Linear(2 * width * 5 * 5, 10)

    def forward(self, x):
        x = nn.functional.max_pool2d(torch.relu(self.bn1(self.conv1(x))), 2)  # (B, w, 12, 12)
        x = nn.functional.max_pool2d(torch.relu(self.conv2(x)), 2)  # (B, 2w, 5, 5)
        return self.fc(x.flatten(1))  # (B, 10)


@pytest.fixture(scope="session")
def mnist():
    return load_mnist(flatten=False)


@pytest.fixture(scope="session")
def trained(mnist) -> TinyCNN:
    """One epoch over 4,000 training digits: about 90 % test accuracy, in a few seconds."""
    seed_everything(0)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    model = TinyCNN()
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    x = torch.from_numpy(np.ascontiguousarray(mnist.X_train[:N_TRAIN]))[:, None]  # (N, 1, 28, 28)
    y = torch.from_numpy(mnist.y_train[:N_TRAIN])
    for start in range(0, N_TRAIN, 50):
        loss = nn.functional.cross_entropy(model(x[start:start + 50]), y[start:start + 50])
        opt.zero_grad()
        loss.backward()
        opt.step()
    torch.set_num_threads(threads)
    return model.eval()


@pytest.fixture(scope="session")
def exported(trained, tmp_path_factory) -> Path:
    from aimastery.cnn.export import export_classifier

    out = tmp_path_factory.mktemp("digits") / "export"
    export_classifier(trained, out, metrics={"note": "test fixture"}, training_data={"n_digits": N_TRAIN})
    return out
