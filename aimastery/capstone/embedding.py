"""A linear head on top of the pretrained MiniLM's sentence embeddings (a *linear probe*).

Taught in the capstone chapter (book/capstone_issue_classifier.md). The
embeddings come from :class:`aimastery.pretrained.MiniLMEncoder`, the course's
one loader of the all-MiniLM-L6-v2 weights (Week 7 builds the same encoder
from scratch): 384-number, L2-normalised sentence vectors. The encoder stays
frozen; only a linear layer (384 -> 4) is trained on top.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from aimastery.capstone.models import one_thread


def train_linear_head(E: np.ndarray, y: np.ndarray, n_classes: int, *, num_epochs: int = 300,
                      lr: float = 0.05, weight_decay: float = 1e-4, seed: int = 0) -> nn.Linear:
    """A linear layer (384 -> C) trained full-batch with AdamW and cross-entropy on frozen embeddings."""
    torch.manual_seed(seed)
    head = nn.Linear(E.shape[1], n_classes)
    optimizer = torch.optim.AdamW(head.parameters(), lr=lr, weight_decay=weight_decay)
    X, t = torch.from_numpy(E), torch.as_tensor(y, dtype=torch.long)
    with one_thread():
        for _ in range(num_epochs):
            loss = nn.functional.cross_entropy(head(X), t)  # logits (N, C)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    return head.eval()


def predict_proba_head(head: nn.Linear, E: np.ndarray) -> np.ndarray:
    """Class probabilities (N, C) of a linear head on embeddings (N, 384)."""
    with torch.no_grad():
        return torch.softmax(head(torch.from_numpy(E)), dim=1).numpy()
