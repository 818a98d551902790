"""The classifiers trained on TF-IDF: a small neural network and a logistic-regression baseline.

Taught in the capstone chapter (book/capstone_issue_classifier.md).

``TfidfMLP`` is a one-hidden-layer network on a sparse TF-IDF vector ``x``
(V columns, a few dozen of them non-zero)::

    h = relu(x @ W + b)        # W: (V, H), the first layer
    logits = h @ U.T + c       # U: (C, H), the output layer

``x @ W`` for a sparse ``x`` is the sum of the rows of ``W`` at the non-zero
columns, weighted by their values: exactly what ``nn.EmbeddingBag`` with
``mode="sum"`` and ``per_sample_weights`` computes, without ever building
the dense (B, V) batch. The same sum in NumPy
(:func:`aimastery.capstone.predictor.mlp_logits`) is the whole forward pass
the service runs when it serves the network.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from aimastery.threads import one_thread


class TfidfMLP(nn.Module):
    """Sparse TF-IDF (V) -> hidden (H), ReLU, dropout -> logits (C)."""

    def __init__(self, vocab_size: int, hidden: int, n_classes: int,
                 dropout: float = 0.3):
        super().__init__()
        # x @ W for a sparse x: W (V, H) is the bag's weight
        self.hidden = nn.EmbeddingBag(vocab_size, hidden, mode="sum")
        # an L2-normalised x keeps x @ W at unit scale
        nn.init.normal_(self.hidden.weight, std=1.0)
        self.hidden_bias = nn.Parameter(torch.zeros(hidden))  # (H,)
        self.dropout = nn.Dropout(dropout)
        self.out = nn.Linear(hidden, n_classes)  # (C, H) and (C,)

    def forward(self, indices, offsets, values):
        # indices, values: (nnz,) the batch's non-zeros, row after row;
        # offsets: (B,) where each row starts in them
        h = self.hidden(indices, offsets, per_sample_weights=values)
        h = torch.relu(h + self.hidden_bias)  # (B, H)
        return self.out(self.dropout(h))  # (B, C)


def csr_batch(X) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """A SciPy CSR matrix (B, V) as EmbeddingBag inputs: indices (nnz,), offsets (B,), values (nnz,)."""
    return (torch.from_numpy(X.indices.astype(np.int64)),
            torch.from_numpy(X.indptr[:-1].astype(np.int64)),
            torch.from_numpy(X.data.astype(np.float32)))


@dataclass
class MLPConfig:
    """Every hyper-parameter of the TF-IDF MLP, in one place."""

    hidden: int = 64
    dropout: float = 0.3
    num_epochs: int = 12
    batch_size: int = 32
    lr: float = 3e-3
    weight_decay: float = 1e-4
    seed: int = 0


@dataclass
class TrainHistory:
    """Mean training loss per epoch, and held-out accuracy per epoch when a validation set is given."""

    loss: list[float] = field(default_factory=list)
    val_accuracy: list[float] = field(default_factory=list)


def predict_proba_mlp(model: TfidfMLP, X) -> np.ndarray:
    """Class probabilities (N, C) for a CSR matrix (N, V), in eval mode."""
    was_training = model.training
    model.eval()
    with torch.no_grad():
        probs = torch.softmax(model(*csr_batch(X)), dim=1).numpy()
    model.train(was_training)
    return probs


def train_mlp(X, y: np.ndarray, n_classes: int, config: MLPConfig = MLPConfig(), *,
              X_val=None, y_val: np.ndarray | None = None, progress: bool = True) -> tuple[TfidfMLP, TrainHistory]:
    """Train a TfidfMLP with AdamW and cross-entropy on a CSR matrix ``X`` (N, V) and labels ``y`` (N,).

    ``progress`` shows a tqdm bar (on stderr) over every mini-batch. Training
    runs on :func:`one_thread`.
    """
    if X.shape[0] != len(y):
        raise ValueError(f"X has {X.shape[0]} rows but y has {len(y)} labels")
    with one_thread():
        return _train_mlp(X, y, n_classes, config, X_val, y_val, progress)


def _train_mlp(X, y, n_classes, config, X_val, y_val, progress):
    from tqdm import tqdm

    torch.manual_seed(config.seed)
    rng = np.random.default_rng(config.seed)
    model = TfidfMLP(X.shape[1], config.hidden, n_classes, config.dropout)
    optimizer = torch.optim.AdamW(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    loss_fn = nn.CrossEntropyLoss()
    y_t = torch.as_tensor(y, dtype=torch.long)
    n_batches = -(-X.shape[0] // config.batch_size)
    history = TrainHistory()
    bar = tqdm(total=config.num_epochs * n_batches, desc="training TF-IDF MLP", unit="batch",
               disable=not progress, file=sys.stderr, leave=False)
    for _epoch in range(config.num_epochs):
        model.train()
        order = rng.permutation(X.shape[0])
        total = 0.0
        for b in range(n_batches):
            rows = order[b * config.batch_size:(b + 1) * config.batch_size]
            logits = model(*csr_batch(X[rows]))  # (B, C)
            loss = loss_fn(logits, y_t[rows])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item() * len(rows)
            bar.update(1)
        history.loss.append(total / X.shape[0])
        if X_val is not None and y_val is not None:
            acc = float(np.mean(predict_proba_mlp(model, X_val).argmax(1) == y_val))
            history.val_accuracy.append(acc)
            bar.set_postfix(loss=f"{history.loss[-1]:.3f}", val_acc=f"{acc:.3f}")
    bar.close()
    model.eval()
    return model, history


def mlp_tensors(model: TfidfMLP) -> dict[str, np.ndarray]:
    """The trained weights as NumPy float32 arrays, named as in the state dict (for safetensors)."""
    return {name: t.detach().cpu().numpy().astype(np.float32) for name, t in model.state_dict().items()}


def train_logreg(X, y: np.ndarray, *, C: float = 10.0, seed: int = 0):
    """The baseline: multinomial logistic regression (scikit-learn) on the same TF-IDF matrix."""
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=C, max_iter=2000, random_state=seed).fit(X, y)


def logreg_tensors(model) -> dict[str, np.ndarray]:
    """A fitted LogisticRegression's weights as float32 arrays, named as scikit-learn names them.

    ``coef`` (C, V) and ``intercept`` (C,): the probabilities are
    ``softmax(coef @ x + intercept)``, what ``predict_proba`` computes.
    """
    coef = np.asarray(model.coef_)
    if coef.shape[0] != len(model.classes_):
        raise ValueError(f"expected a multinomial model, one row of coef per class; got coef {coef.shape} "
                         f"for {len(model.classes_)} classes")
    return {"coef": coef.astype(np.float32), "intercept": np.asarray(model.intercept_, dtype=np.float32)}
