"""Fixtures for the MLOps tests: small capstone models trained once per session (about a second each)."""

from __future__ import annotations

from pathlib import Path

import pytest

from aimastery.capstone.models import MLPConfig
from aimastery.capstone.train import TrainConfig, train_and_save

#: A decent model, a better one (more data), and a bad one (one epoch on little data).
CONFIGS = {
    "decent": TrainConfig(n_per_label=80, mlp=MLPConfig(num_epochs=5)),
    "better": TrainConfig(n_per_label=160, mlp=MLPConfig(num_epochs=6)),
    "bad": TrainConfig(n_per_label=40, mlp=MLPConfig(num_epochs=1)),
}


@pytest.fixture(scope="session")
def trained(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("mlops-models")
    out = {}
    for name, config in CONFIGS.items():
        train_and_save(root / name, config, progress=False, log=lambda _: None)
        out[name] = root / name
    return out
