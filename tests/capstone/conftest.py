"""Fixtures for the capstone's tests: one small model trained per test session, and a client."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from aimastery.capstone.models import MLPConfig
from aimastery.capstone.service import Settings, create_app
from aimastery.capstone.train import TrainConfig, train_and_save

#: Small and quick: 4 x 120 issues, 6 epochs (about two seconds).
SMALL = TrainConfig(n_per_label=120, mlp=MLPConfig(num_epochs=6))


@pytest.fixture(scope="session")
def artefacts_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("capstone") / "artefacts"
    train_and_save(out, SMALL, progress=False, log=lambda _: None)
    return out


@pytest.fixture
def client(artefacts_dir):
    with TestClient(create_app(Settings(artefacts_dir))) as c:  # `with` runs the lifespan: the model loads
        yield c
