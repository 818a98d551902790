"""The fixed pieces of the MLOps chapter's workflow, defined once for the chapter, the CLI and the tests.

Taught in the MLOps chapter (book/mlops.md): the capstone models it trains
and registers, the evaluation set of the promotion gate, and the issues
its drift study reads (the original ones and their renamed twins).
"""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np

from aimastery.capstone.artefacts import Artefacts
from aimastery.capstone.issues import LABELS, Issue
from aimastery.capstone.models import MLPConfig, one_thread
from aimastery.capstone.predictor import Predictor
from aimastery.capstone.synthetic import generate_issues
from aimastery.capstone.train import TrainConfig, TrainResult, train_and_save
from aimastery.mlops.detection import DriftStudy, Signals, run_drift_study
from aimastery.mlops.monitor import UnknownWords
from aimastery.mlops.shift import SCENARIOS, with_new_vocabulary

MODEL_NAME = "issue-classifier"
#: The three training runs the chapter registers, in order (v1, v2, v3).
TRAINING_RUNS = {
    "a first model": TrainConfig(n_per_label=200, mlp=MLPConfig(num_epochs=6)),
    "retrained on more data": TrainConfig(n_per_label=500, mlp=MLPConfig(num_epochs=8)),
    "a run cut short after one epoch": TrainConfig(n_per_label=500, mlp=MLPConfig(num_epochs=1)),
}
GATE_SEED = 2_026  # the gate's issues are drawn apart from every training set (seeds 0 and up)
DRIFT_SEED = 7


def train_run(out_dir: str | Path, description: str) -> TrainResult:
    """One of :data:`TRAINING_RUNS`, trained quietly into ``out_dir``."""
    return train_and_save(out_dir, TRAINING_RUNS[description], progress=False, log=lambda _: None)


def gate_issues(n_per_label: int = 150) -> list[Issue]:
    """The promotion gate's fixed evaluation set (never trained on)."""
    return generate_issues(n_per_label, seed=GATE_SEED)


def drift_pools(n_per_label: int = 200, seed: int = DRIFT_SEED) -> tuple[list[Issue], list[Issue]]:
    """Issues as the model knows them, and the same issues with the new vocabulary."""
    original = generate_issues(n_per_label, seed=seed)
    rng = random.Random(seed)
    return original, [with_new_vocabulary(i, rng) for i in original]


def drift_signals(artefacts: Artefacts, original: list[Issue], renamed: list[Issue], encoder) -> Signals:
    """What the drift tests read about both pools: unknown words, the model's predictions, MiniLM embeddings."""
    predictor = Predictor(artefacts)

    def predict(issues):
        return np.array([LABELS.index(predictor.predict(i.title, i.body).label) for i in issues])

    with one_thread():  # MiniLM on one thread: on a busy 2-core machine two were four times slower
        return Signals.compute(original, renamed, predict, encoder.encode, UnknownWords(artefacts.features))


def drift_study(signals: Signals) -> DriftStudy:
    """The chapter's drift study: 2% target false alarms, 300 calibration days, 3 streams per scenario."""
    return run_drift_study(signals, SCENARIOS, target_false_alarm_rate=0.02, calibration_days=300, streams=3)
