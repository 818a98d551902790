"""The GPT-2 loader against transformers' GPT2LMHeadModel: logits, greedy generation, attention, refusals."""

import json
import os

import pytest
import torch
from safetensors.torch import load_file, save_file

from aimastery.bert.checkpoint import CheckpointError
from aimastery.gpt.generate import attention_in_generation, generate
from aimastery.gpt.hf import config_from_hf, from_pretrained, from_state_dict
from aimastery.testing import one_torch_thread  # noqa: F401 (autouse: small tensors, one thread)

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # folders only, never the hub
transformers = pytest.importorskip("transformers")
transformers.logging.set_verbosity_error()

V = 50
SPECIAL = V - 1  # bos = eos = pad: the defaults (50256) lie outside a small vocabulary
CONFIG = dict(vocab_size=V, n_positions=32, n_layer=2, n_head=4, n_embd=32, layer_norm_epsilon=1e-5,
              bos_token_id=SPECIAL, eos_token_id=SPECIAL, pad_token_id=SPECIAL)


@pytest.fixture(scope="module")
def hf():
    """A small random GPT-2 with noise on every parameter (zero biases and unit LayerNorms hide a wrong mapping).

    The noise is large (0.4): with less, greedy generation repeats one or two tokens.
    """
    torch.manual_seed(0)
    model = transformers.GPT2LMHeadModel(transformers.GPT2Config(**CONFIG, attn_implementation="eager"))
    g = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for p in model.parameters():  # the tied lm_head is wte: perturbed once
            p.add_(0.4 * torch.randn(p.shape, generator=g))
    return model.eval()


@pytest.fixture(scope="module")
def folder(hf, tmp_path_factory):
    path = tmp_path_factory.mktemp("gpt2")
    hf.save_pretrained(path, safe_serialization=True)
    return path


@pytest.fixture(scope="module")
def ids():
    return torch.randint(0, V - 1, (3, 24), generator=torch.Generator().manual_seed(1))


def max_logit_error(model, hf, ids):
    with torch.no_grad():
        return (model(ids)[0] - hf(ids).logits).abs().max().item()


def test_save_pretrained_folder_gives_transformers_logits(hf, folder, ids):
    assert sorted(load_file(folder / "model.safetensors"))[0].startswith("transformer.")
    model = from_pretrained(folder)
    assert not model.training and model.config.block_size == 32
    assert max_logit_error(model, hf, ids) < 1e-5


def test_old_layout_without_prefix_and_with_mask_buffers(hf, ids, tmp_path):
    n = CONFIG["n_positions"]
    tensors = {k.removeprefix("transformer."): v.clone() for k, v in hf.state_dict().items()}  # h.0..., lm_head
    for i in range(CONFIG["n_layer"]):
        tensors[f"h.{i}.attn.bias"] = torch.ones(n, n, dtype=torch.bool).tril()[None, None]  # (1, 1, n, n)
        tensors[f"h.{i}.attn.masked_bias"] = torch.tensor(-1e4)
    assert "lm_head.weight" in tensors and "h.0.attn.c_attn.bias" in tensors  # a weight, not the buffer
    assert max_logit_error(from_state_dict(tensors, CONFIG), hf, ids) < 1e-5
    save_file({k: v.contiguous() for k, v in tensors.items() if k != "lm_head.weight"}, tmp_path / "model.safetensors")
    (tmp_path / "config.json").write_text(json.dumps(hf.config.to_dict()))
    assert max_logit_error(from_pretrained(tmp_path), hf, ids) < 1e-5


@pytest.mark.parametrize("use_cache", [True, False])
def test_greedy_generation_matches_transformers_generate(hf, folder, use_cache):
    model = from_pretrained(folder)
    prompt = torch.tensor([[3, 14, 15, 9, 26]])
    n = CONFIG["n_positions"] - prompt.shape[1]  # up to the last position GPT-2 has
    theirs = hf.generate(prompt, attention_mask=torch.ones_like(prompt), max_new_tokens=n, do_sample=False,
                         bos_token_id=SPECIAL, eos_token_id=SPECIAL, pad_token_id=SPECIAL)
    assert theirs.shape[1] == CONFIG["n_positions"], "transformers stopped at eos: pick another seed"
    assert generate(model, prompt, n, greedy=True, use_cache=use_cache).tolist() == theirs.tolist()
    assert len(set(theirs[0, 5:].tolist())) >= 5, "a degenerate model: the test would prove little"


def test_recorded_attention_is_transformers_attention(hf, folder):
    model = from_pretrained(folder)
    rec = attention_in_generation(model, [3, 14, 15], 12, greedy=True)
    with torch.no_grad():
        attn = hf(torch.tensor([rec.ids[:-1]]), output_attentions=True).attentions  # L x (1, H, T, T)
    theirs = torch.stack(attn)[:, 0]  # (L, H, T, T)
    for s, w in enumerate(rec.weights):
        T_ctx = 3 + s
        assert (torch.from_numpy(w) - theirs[:, :, T_ctx - 1, :T_ctx]).abs().max() < 1e-5


@pytest.fixture
def tensors(hf):
    return {k: v.clone() for k, v in hf.state_dict().items() if k != "lm_head.weight"}


def test_wrong_shape_is_refused_with_its_name(tensors):
    tensors["transformer.h.1.mlp.c_fc.weight"] = tensors["transformer.h.1.mlp.c_fc.weight"].t()  # nn.Linear's
    tensors["transformer.wpe.weight"] = tensors["transformer.wpe.weight"][:16]
    with pytest.raises(CheckpointError) as err:
        from_state_dict(tensors, CONFIG)
    message = str(err.value)
    assert "transformer.h.1.mlp.c_fc.weight: shape [128, 32]" in message and "(in, out) = [32, 128]" in message
    assert "transformer.wpe.weight: shape [16, 32], the model expects [32, 32]" in message
    assert "missing" not in message  # a wrongly shaped tensor is reported once, as such


def test_missing_unexpected_and_untied_are_refused(tensors):
    del tensors["transformer.h.0.ln_2.bias"]
    tensors["transformer.h.0.attn.q_proj.weight"] = torch.zeros(32, 32)
    tensors["lm_head.weight"] = tensors["transformer.wte.weight"] + 1e-3
    with pytest.raises(CheckpointError) as err:
        from_state_dict(tensors, CONFIG)
    message = str(err.value)
    assert "1 missing from the checkpoint: transformer.h.0.ln_2.bias" in message
    assert "not in the model: transformer.h.0.attn.q_proj.weight" in message
    assert "lm_head.weight" in message and "untied" in message


def test_a_truncated_file_is_refused_naming_the_tensors(folder, tmp_path):
    data = (folder / "model.safetensors").read_bytes()
    (tmp_path / "model.safetensors").write_bytes(data[:-1000])
    (tmp_path / "config.json").write_text((folder / "config.json").read_text())
    with pytest.raises(CheckpointError, match=r"truncated: .* transformer\.wte\.weight needs bytes up to"):
        from_pretrained(tmp_path)
    (tmp_path / "model.safetensors").write_bytes(data[:100])  # cut inside the header
    with pytest.raises(CheckpointError, match="not a complete safetensors file"):
        from_pretrained(tmp_path)


def test_a_pickle_is_refused_never_loaded(folder, tmp_path):
    (tmp_path / "config.json").write_text((folder / "config.json").read_text())
    (tmp_path / "pytorch_model.bin").write_bytes(b"PK\x03\x04 not unpickled")
    with pytest.raises(CheckpointError, match="pytorch_model.bin .* pickle.*safe_serialization=True"):
        from_pretrained(tmp_path)
    (tmp_path / "model.safetensors").write_bytes(b"PK\x03\x04" + bytes(60))
    with pytest.raises(CheckpointError, match="zip file: a PyTorch pickle"):
        from_pretrained(tmp_path)


@pytest.mark.parametrize("change, message", [
    (dict(activation_function="gelu"), "gelu_new"),
    (dict(activation_function="relu"), "gelu_new"),
    (dict(n_inner=64), "n_inner=64"),
    (dict(tie_word_embeddings=False), "tie_word_embeddings"),
    (dict(model_type="bert"), "model_type"),
])
def test_other_maths_are_refused(change, message):
    with pytest.raises(CheckpointError, match=message):
        config_from_hf({**CONFIG, **change})


def test_config_mapping():
    config = config_from_hf(transformers.GPT2Config(**CONFIG))
    assert (config.vocab_size, config.block_size, config.n_layer, config.n_head, config.n_embd) == (50, 32, 2, 4, 32)
    assert config.dropout == 0.0 and config.layer_norm_epsilon == 1e-5
    with pytest.raises(ValueError, match="n_positions"):
        config_from_hf({"vocab_size": 50})
