"""The BERT written from scratch against transformers' BertModel, and its by-name loader's reports."""

import numpy as np
import pytest
import torch
from safetensors.torch import save_file

from aimastery.bert.checkpoint import CheckpointError, load_bert_weights, load_minilm, read_safetensors
from aimastery.bert.model import BertConfig, BertForMaskedLM, BertModel, mean_pool
from aimastery.bert.sentence import SentenceEncoder
from aimastery.pretrained import MiniLMEncoder, minilm_folder, pad_ids
from aimastery.tokenization.wordpiece import WordPiece
from aimastery.testing import one_torch_thread  # noqa: F401 (autouse: small tensors, one thread)

SENTENCES = ["The cat sat on the mat.", "Attention is a weighted average of values, weighted by similarity.",
             "Hi!", "Crème brûlée, 3.14 and 🚀"]
TINY = BertConfig(vocab_size=60, hidden_size=16, num_hidden_layers=2, num_attention_heads=4, intermediate_size=32,
                  max_position_embeddings=12, hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0)



def hf_config(config: BertConfig):
    import transformers

    return transformers.BertConfig(**vars(config), attn_implementation="eager")


def perturbed(model: torch.nn.Module, seed: int = 0) -> torch.nn.Module:
    """Noise on every parameter: a fresh model's zero biases and unit LayerNorms would hide a wrong mapping."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in model.parameters():
            p.add_(0.1 * torch.randn(p.shape, generator=g))
    return model.eval()


@pytest.fixture(scope="module")
def minilm():
    return load_minilm()


@pytest.fixture(scope="module")
def batch():
    return pad_ids([WordPiece.minilm().encode(s) for s in SENTENCES])


def test_minilm_matches_transformers(minilm, batch):
    import transformers

    transformers.logging.set_verbosity_error()
    reference = transformers.BertModel.from_pretrained(minilm_folder(), attn_implementation="eager").eval()
    ids, mask = batch
    with torch.no_grad():
        ours = minilm(ids, mask, output_attentions=True)
        theirs = reference(input_ids=ids, attention_mask=mask, output_attentions=True)
    real = mask.bool()
    assert (ours.last_hidden_state - theirs.last_hidden_state)[real].abs().max() < 1e-5
    emb = [torch.nn.functional.normalize(mean_pool(h, mask), dim=1)
           for h in (ours.last_hidden_state, theirs.last_hidden_state)]
    assert (emb[0] - emb[1]).abs().max() < 1e-5
    for a, b in zip(ours.attentions, theirs.attentions, strict=True):  # (B, H, T, T) per layer
        assert (a - b).abs().max() < 1e-5


def test_every_name_and_shape_matches_transformers():
    import transformers

    ours = perturbed(BertModel(TINY))
    theirs = transformers.BertModel(hf_config(TINY)).eval()
    theirs.load_state_dict(ours.state_dict())  # strict: the same names, the same shapes
    ids = torch.randint(0, TINY.vocab_size, (2, 9))
    mask = torch.tensor([[1] * 9, [1] * 5 + [0] * 4])
    types = torch.tensor([[0] * 4 + [1] * 5, [0] * 9])
    with torch.no_grad():
        a = ours(ids, mask, types).last_hidden_state
        b = theirs(input_ids=ids, attention_mask=mask, token_type_ids=types).last_hidden_state
    assert (a - b)[mask.bool()].abs().max() < 1e-5
    assert (ours.pooler(a) - theirs.pooler(b)).abs().max() < 1e-5


def test_masked_lm_matches_transformers_and_ties_its_weights():
    import transformers

    ours = perturbed(BertForMaskedLM(TINY))
    assert ours.cls.predictions.decoder.weight is ours.bert.embeddings.word_embeddings.weight
    theirs = transformers.BertForMaskedLM(hf_config(TINY)).eval()
    report = load_bert_weights(theirs, ours.state_dict())
    assert report.ok
    ids = torch.randint(0, TINY.vocab_size, (2, 8))
    labels = torch.full_like(ids, -100)
    labels[:, 3] = ids[:, 3]
    with torch.no_grad():
        logits, loss = ours(ids, labels=labels)
        out = theirs(input_ids=ids, labels=labels)
    assert (logits - out.logits[:, 3]).abs().max() < 1e-5 and abs(float(loss) - float(out.loss)) < 1e-5


def test_the_slips_change_the_output(minilm, batch):
    ids, mask = batch
    tensors = read_safetensors(minilm_folder() / "model.safetensors")
    with torch.no_grad():
        exact = minilm(ids, mask).last_hidden_state
        for change in ({"hidden_act": "gelu_pytorch_tanh"}, {"layer_norm_eps": 1e-5}):
            slipped = BertModel(BertConfig(**{**vars(minilm.config), **change})).eval()
            load_bert_weights(slipped, tensors)
            assert (slipped(ids, mask).last_hidden_state - exact).abs().max() > 1e-4, change
        assert (minilm(ids).last_hidden_state - exact)[mask.bool()].abs().max() > 1e-2  # no mask


def test_the_sentence_encoder_matches_minilm_encoder():
    ours = SentenceEncoder().encode(SENTENCES, batch_size=3)
    theirs = MiniLMEncoder().encode(SENTENCES, batch_size=3)
    assert ours.shape == (4, 384) and np.abs(ours - theirs).max() < 1e-5
    with pytest.raises(TypeError, match="list of texts"):
        SentenceEncoder().encode("one text")


# ----- the loader's reports


def tiny_tensors(**changes):
    tensors = {k: v.clone() for k, v in BertModel(TINY).state_dict().items()}
    tensors["embeddings.position_ids"] = torch.arange(TINY.max_position_embeddings)[None]  # an old buffer
    for name, value in changes.items():
        name = name.replace("__", ".")
        if value is None:
            del tensors[name]
        else:
            tensors[name] = value
    return tensors


def test_a_fitting_checkpoint_loads_and_the_buffer_is_skipped(tmp_path):
    save_file(tiny_tensors(), tmp_path / "model.safetensors")
    model = BertModel(TINY)
    report = load_bert_weights(model, tmp_path / "model.safetensors")
    assert report.ok and report.skipped == ["embeddings.position_ids"] and len(report.loaded) == 39


def test_every_problem_is_named():
    bad = tiny_tensors(encoder__layer__1__output__dense__bias=None,
                       encoder__layer__0__attention__self__query__weight=torch.zeros(16, 8),
                       cls__predictions__bias=torch.zeros(60))
    with pytest.raises(CheckpointError) as err:
        load_bert_weights(BertModel(TINY), bad)
    message = str(err.value)
    for expected in ("nothing was loaded", "encoder.layer.1.output.dense.bias",
                     "encoder.layer.0.attention.self.query.weight: the model has [16, 16], the file [16, 8]",
                     "cls.predictions.bias"):
        assert expected in message
    model = BertModel(TINY)
    before = model.embeddings.word_embeddings.weight.clone()
    with pytest.raises(CheckpointError, match="wrong shape"):
        load_bert_weights(model, bad, strict=False)  # a wrong shape is never accepted
    assert torch.equal(before, model.embeddings.word_embeddings.weight)  # nothing was copied
    report = load_bert_weights(model, tiny_tensors(encoder__layer__1__output__dense__bias=None), strict=False)
    assert report.missing == ["encoder.layer.1.output.dense.bias"] and not report.ok


def test_a_prefixed_checkpoint_loads():
    tensors = {f"bert.{k}": v for k, v in tiny_tensors().items()}
    report = load_bert_weights(BertModel(TINY), tensors)
    assert report.ok and report.prefix == "bert."


def test_wrong_files_are_refused(tmp_path):
    gpt = {"transformer.h.0.attn.c_attn.weight": torch.zeros(4, 12), "transformer.wte.weight": torch.zeros(5, 4)}
    with pytest.raises(CheckpointError, match="not a checkpoint of this model: none of its 2 tensors"):
        load_bert_weights(BertModel(TINY), gpt)
    (tmp_path / "pytorch_model.bin").write_bytes(b"PK\x03\x04 a zip file: a pickle")
    with pytest.raises(CheckpointError, match="not a valid safetensors file.*pickle"):
        read_safetensors(tmp_path / "pytorch_model.bin")
    with pytest.raises(FileNotFoundError, match="no checkpoint at"):
        read_safetensors(tmp_path / "missing.safetensors")
    ints = tiny_tensors(embeddings__LayerNorm__weight=torch.ones(16, dtype=torch.long))
    with pytest.raises(CheckpointError, match="integers, not weights"):
        load_bert_weights(BertModel(TINY), ints)


def test_config_errors():
    with pytest.raises(ValueError, match="divisible"):
        BertConfig(hidden_size=10, num_attention_heads=3)
    with pytest.raises(ValueError, match="hidden_act must be one of"):
        BertConfig(hidden_act="swish")
    with pytest.raises(ValueError, match="not BERT"):
        BertConfig.from_dict({"model_type": "gpt2"})
    with pytest.raises(ValueError, match="more than the model's 12 positions"):
        BertModel(TINY)(torch.zeros(1, 13, dtype=torch.long))
