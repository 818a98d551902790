"""BERT, written from scratch in one file: embeddings, post-LN encoder layers, pooling, an MLM head.

Taught in Week 7 (book/week07_attention_bert.md). The attribute names are the
names of the tensors in a BERT checkpoint (``encoder.layer.0.attention.self.query.weight``,
...), so the real all-MiniLM-L6-v2 weights load by name
(:func:`aimastery.bert.checkpoint.load_bert_weights`) and the same model can
be compared with ``transformers.BertModel`` number for number. What makes it
*BERT* and not just "a transformer encoder":

* token + position + segment (token type) embeddings, summed, then LayerNorm;
* **post-LN** layers: ``x = LayerNorm(x + sublayer(x))`` after each of
  attention and the feed-forward block (GPT-2 and most newer models put the
  LayerNorm *before* the sublayer instead);
* the **exact GELU**, ``x * Phi(x)`` with the normal CDF (``erf``), not the
  tanh approximation; LayerNorm with ``eps = 1e-12``.

Dropout follows the config and acts only in training mode. The attention
itself is :func:`aimastery.attention.scaled_dot_product_attention`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from aimastery.attention import merge_heads, scaled_dot_product_attention

#: The activations a config may name: the exact GELU and its tanh approximation (as Hugging Face names them).
ACTIVATIONS = {
    "gelu": lambda x: F.gelu(x),  # x * Phi(x), Phi the normal CDF (erf)
    "gelu_new": lambda x: F.gelu(x, approximate="tanh"),
    "gelu_pytorch_tanh": lambda x: F.gelu(x, approximate="tanh"),
}


@dataclass(frozen=True)
class BertConfig:
    """The hyper-parameters, named as in a BERT ``config.json``; the defaults are all-MiniLM-L6-v2's."""

    vocab_size: int = 30522
    hidden_size: int = 384  # E
    num_hidden_layers: int = 6
    num_attention_heads: int = 12  # H; each head has E / H = 32 features
    intermediate_size: int = 1536  # the feed-forward block's width, 4E
    hidden_act: str = "gelu"  # exact GELU
    max_position_embeddings: int = 512
    type_vocab_size: int = 2
    layer_norm_eps: float = 1e-12
    hidden_dropout_prob: float = 0.1
    attention_probs_dropout_prob: float = 0.1
    pad_token_id: int = 0

    def __post_init__(self):
        if self.hidden_size % self.num_attention_heads:
            raise ValueError(f"hidden_size {self.hidden_size} must be divisible by num_attention_heads "
                             f"{self.num_attention_heads}")
        if self.hidden_act not in ACTIVATIONS:
            raise ValueError(f"hidden_act must be one of {sorted(ACTIVATIONS)}, got {self.hidden_act!r}")

    @classmethod
    def from_dict(cls, config: dict) -> BertConfig:
        """From a ``config.json`` (keys this model does not use are ignored; a non-BERT model is refused)."""
        if config.get("model_type", "bert") != "bert":
            raise ValueError(f"this is a config for a {config['model_type']!r} model, not BERT")
        if config.get("position_embedding_type", "absolute") != "absolute":
            raise ValueError("only absolute position embeddings are supported, got "
                             f"{config['position_embedding_type']!r}")
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in config.items() if k in names})

    @classmethod
    def minilm(cls) -> BertConfig:
        """all-MiniLM-L6-v2's config, read from the installed model folder."""
        from aimastery.pretrained import minilm_config

        return cls.from_dict(minilm_config())


class BertEmbeddings(nn.Module):
    """Token + position + token-type embeddings, summed and normalised."""

    def __init__(self, config: BertConfig):
        super().__init__()
        V, E = config.vocab_size, config.hidden_size
        self.word_embeddings = nn.Embedding(V, E, config.pad_token_id)
        self.position_embeddings = nn.Embedding(
            config.max_position_embeddings, E)
        self.token_type_embeddings = nn.Embedding(config.type_vocab_size, E)
        self.LayerNorm = nn.LayerNorm(E, eps=config.layer_norm_eps)
        self.dropout = nn.Dropout(config.hidden_dropout_prob)

    def forward(self, input_ids: Tensor,
                token_type_ids: Tensor | None = None) -> Tensor:
        T = input_ids.shape[1]
        n_positions = self.position_embeddings.num_embeddings
        if T > n_positions:
            raise ValueError(f"{T} tokens is more than the model's "
                             f"{n_positions} positions: truncate the input")
        positions = torch.arange(T, device=input_ids.device)  # (T,)
        if token_type_ids is None:  # one segment: sentence A
            token_type_ids = torch.zeros_like(input_ids)
        x = (self.word_embeddings(input_ids)  # (B, T, E)
             + self.position_embeddings(positions)  # (T, E), broadcast
             + self.token_type_embeddings(token_type_ids))  # (B, T, E)
        return self.dropout(self.LayerNorm(x))


class BertSelfAttention(nn.Module):
    """Multi-head self-attention: ``query``, ``key``, ``value`` projections, H heads."""

    def __init__(self, config: BertConfig):
        super().__init__()
        E = config.hidden_size
        self.num_heads = config.num_attention_heads
        self.query = nn.Linear(E, E)
        self.key = nn.Linear(E, E)
        self.value = nn.Linear(E, E)
        self.dropout_p = config.attention_probs_dropout_prob
        self._fused: tuple | None = None  # (versions of the six tensors, stacked weight, stacked bias)

    def forward(self, x: Tensor, mask: Tensor | None) -> tuple[Tensor, Tensor]:
        B, T, E = x.shape
        weight, bias = self.stacked_projection()  # (3E, E), (3E,)
        qkv = F.linear(x, weight, bias).view(B, T, 3, self.num_heads, E // self.num_heads)  # (B, T, 3, H, d)
        q, k, v = qkv.permute(2, 0, 3, 1, 4).contiguous()  # split_heads of all three in one copy: (B, H, T, d)
        out, weights = scaled_dot_product_attention(q, k, v, mask, self.dropout_p if self.training else 0.0,
                                                    scale=1.0)  # q is scaled already
        return merge_heads(out), weights  # (B, T, E), (B, H, T, T)

    def stacked_projection(self) -> tuple[Tensor, Tensor]:
        """query, key and value as one (3E, E) projection, the query's rows scaled by 1/sqrt(d).

        The same numbers as ``query(x) / sqrt(d)``, ``key(x)``, ``value(x)``, up
        to rounding, only faster (``make bench ONLY=bert``): one large matrix
        product keeps a CPU busier than three small ones, and scaling the
        weights once is cheaper than scaling every score. With gradients on,
        the stack is built afresh at every call (the gradients reach the
        three projections); without, it is kept until a weight changes.
        """
        tensors = (self.query.weight, self.key.weight, self.value.weight,
                   self.query.bias, self.key.bias, self.value.bias)
        scale = (self.query.weight.shape[0] // self.num_heads) ** -0.5
        if torch.is_grad_enabled() and any(t.requires_grad for t in tensors):
            return (torch.cat([tensors[0] * scale, *tensors[1:3]]), torch.cat([tensors[3] * scale, *tensors[4:]]))
        versions = tuple((t.data_ptr(), t._version) for t in tensors)  # any in-place change bumps _version
        if self._fused is None or self._fused[0] != versions:
            with torch.no_grad():
                self._fused = (versions, torch.cat([tensors[0] * scale, *tensors[1:3]]),
                               torch.cat([tensors[3] * scale, *tensors[4:]]))
        return self._fused[1], self._fused[2]


class BertSelfOutput(nn.Module):
    """After attention: project, add the residual, then LayerNorm (post-LN)."""

    def __init__(self, config: BertConfig):
        super().__init__()
        self.dense = nn.Linear(config.hidden_size, config.hidden_size)
        self.LayerNorm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.dropout = nn.Dropout(config.hidden_dropout_prob)

    def forward(self, h: Tensor, x: Tensor) -> Tensor:
        return self.LayerNorm(x + self.dropout(self.dense(h)))  # (B, T, E)


class BertAttention(nn.Module):
    def __init__(self, config: BertConfig):
        super().__init__()
        self.self = BertSelfAttention(config)  # the checkpoint calls it "self": attention.self.query...
        self.output = BertSelfOutput(config)

    def forward(self, x: Tensor, mask: Tensor | None) -> tuple[Tensor, Tensor]:
        h, weights = self.self(x, mask)
        return self.output(h, x), weights


class BertIntermediate(nn.Module):
    """The feed-forward block's first half: E -> 4E, then GELU."""

    def __init__(self, config: BertConfig):
        super().__init__()
        self.dense = nn.Linear(config.hidden_size, config.intermediate_size)
        self.act = ACTIVATIONS[config.hidden_act]

    def forward(self, x: Tensor) -> Tensor:
        return self.act(self.dense(x))  # (B, T, 4E)


class BertOutput(nn.Module):
    """The feed-forward block's second half: 4E -> E, add the residual, LayerNorm (post-LN)."""

    def __init__(self, config: BertConfig):
        super().__init__()
        self.dense = nn.Linear(config.intermediate_size, config.hidden_size)
        self.LayerNorm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.dropout = nn.Dropout(config.hidden_dropout_prob)

    def forward(self, h: Tensor, x: Tensor) -> Tensor:
        return self.LayerNorm(x + self.dropout(self.dense(h)))  # (B, T, E)


class BertLayer(nn.Module):
    """One encoder layer: x = LN(x + Attention(x)); x = LN(x + FFN(x))."""

    def __init__(self, config: BertConfig):
        super().__init__()
        self.attention = BertAttention(config)
        self.intermediate = BertIntermediate(config)
        self.output = BertOutput(config)

    def forward(self, x: Tensor, mask: Tensor | None) -> tuple[Tensor, Tensor]:
        x, weights = self.attention(x, mask)  # (B, T, E)
        return self.output(self.intermediate(x), x), weights


class BertEncoder(nn.Module):
    def __init__(self, config: BertConfig):
        super().__init__()
        self.layer = nn.ModuleList(BertLayer(config) for _ in range(config.num_hidden_layers))


class BertPooler(nn.Module):
    """BERT's pooler: tanh(dense(hidden state of [CLS])). Sentence-transformers models mean-pool instead."""

    def __init__(self, config: BertConfig):
        super().__init__()
        self.dense = nn.Linear(config.hidden_size, config.hidden_size)

    def forward(self, hidden: Tensor) -> Tensor:
        return torch.tanh(self.dense(hidden[:, 0]))  # (B, E)


@dataclass
class BertModelOutput:
    last_hidden_state: Tensor  # (B, T, E)
    attentions: list[Tensor] | None = None  # per layer (B, H, T, T), if asked for


class BertModel(nn.Module):
    """The encoder: ``forward(input_ids, attention_mask) -> last_hidden_state (B, T, E)``."""

    def __init__(self, config: BertConfig, add_pooling_layer: bool = True):
        super().__init__()
        self.config = config
        self.embeddings = BertEmbeddings(config)
        self.encoder = BertEncoder(config)
        self.pooler = BertPooler(config) if add_pooling_layer else None

    def forward(self, input_ids: Tensor, attention_mask: Tensor | None = None,
                token_type_ids: Tensor | None = None, output_attentions: bool = False) -> BertModelOutput:
        """input_ids (B, T); attention_mask (B, T), 1 for real tokens, 0 for padding."""
        x = self.embeddings(input_ids, token_type_ids)  # (B, T, E)
        mask = None
        if attention_mask is not None and not bool(attention_mask.all()):  # no padding: no mask to add
            # added to every score: 0 for a real key, the most negative float for padding
            mask = (1.0 - attention_mask[:, None, None, :].to(x.dtype)) * torch.finfo(x.dtype).min  # (B, 1, 1, T)
        attentions = []
        for layer in self.encoder.layer:
            x, weights = layer(x, mask)
            if output_attentions:
                attentions.append(weights)
        return BertModelOutput(x, attentions if output_attentions else None)


def mean_pool(hidden: Tensor, attention_mask: Tensor) -> Tensor:
    """The mean of the hidden states of the real tokens: (B, T, E), (B, T) -> (B, E)."""
    m = attention_mask[..., None].to(hidden.dtype)  # (B, T, 1)
    return (hidden * m).sum(1) / m.sum(1).clamp(min=1)


# ----- masked-language-model pretraining (Hugging Face's BertForMaskedLM names)


class BertPredictionHeadTransform(nn.Module):
    def __init__(self, config: BertConfig):
        super().__init__()
        self.dense = nn.Linear(config.hidden_size, config.hidden_size)
        self.act = ACTIVATIONS[config.hidden_act]
        self.LayerNorm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)

    def forward(self, x: Tensor) -> Tensor:
        return self.LayerNorm(self.act(self.dense(x)))


class BertLMPredictionHead(nn.Module):
    def __init__(self, config: BertConfig):
        super().__init__()
        self.transform = BertPredictionHeadTransform(config)
        self.decoder = nn.Linear(config.hidden_size, config.vocab_size)  # weight tied to the token embeddings
        self.bias = nn.Parameter(torch.zeros(config.vocab_size))
        self.decoder.bias = self.bias  # one bias under the checkpoint's two names

    def forward(self, x: Tensor) -> Tensor:
        return self.decoder(self.transform(x))  # (..., V)


class BertOnlyMLMHead(nn.Module):
    def __init__(self, config: BertConfig):
        super().__init__()
        self.predictions = BertLMPredictionHead(config)


class BertForMaskedLM(nn.Module):
    """BERT with its masked-language-model head; the output layer shares the token embeddings."""

    def __init__(self, config: BertConfig):
        super().__init__()
        self.config = config
        self.bert = BertModel(config, add_pooling_layer=False)
        self.cls = BertOnlyMLMHead(config)
        self.cls.predictions.decoder.weight = self.bert.embeddings.word_embeddings.weight  # tied
        self.apply(self._init_weights)

    @staticmethod
    def _init_weights(module: nn.Module) -> None:
        """BERT's initialisation: N(0, 0.02) weights, zero biases, unit LayerNorms."""
        if isinstance(module, (nn.Linear, nn.Embedding)):
            nn.init.normal_(module.weight, std=0.02)
        if isinstance(module, nn.Embedding) and module.padding_idx is not None:
            nn.init.zeros_(module.weight[module.padding_idx])
        if isinstance(module, nn.Linear) and module.bias is not None:
            nn.init.zeros_(module.bias)
        if isinstance(module, nn.LayerNorm):
            nn.init.ones_(module.weight)
            nn.init.zeros_(module.bias)

    def forward(self, input_ids: Tensor, attention_mask: Tensor | None = None,
                labels: Tensor | None = None) -> tuple[Tensor, Tensor | None]:
        """Logits and the mean cross-entropy over the labelled positions (label -100: not scored).

        With ``labels`` the logits are computed only where a label is given
        (the masked positions): (N_masked, V). Without, everywhere: (B, T, V).
        """
        hidden = self.bert(input_ids, attention_mask).last_hidden_state  # (B, T, E)
        if labels is None:
            return self.cls.predictions(hidden), None
        scored = labels != -100  # (B, T)
        logits = self.cls.predictions(hidden[scored])  # (N, V)
        return logits, F.cross_entropy(logits, labels[scored])

    def num_parameters(self) -> int:
        return sum(p.numel() for p in self.parameters())
