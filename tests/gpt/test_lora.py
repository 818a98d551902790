"""LoRA from scratch: a zero update at first, only adapters train, merge/unmerge, adapter files."""

import copy
import json
import math

import pytest
import torch
from safetensors.torch import load_file, save_file

from aimastery.gpt.adapt import AdaptConfig
from aimastery.gpt.lora import (
    AdapterError,
    LoRALinear,
    apply_lora,
    base_sha256,
    load_adapter,
    lora_layers,
    lora_state_dict,
    merge_lora,
    read_adapter,
    save_adapter,
    trainable_parameters,
    unmerge_lora,
)
from aimastery.gpt.model import GPT, GPTConfig
from aimastery.threads import one_thread

CONFIG = GPTConfig(vocab_size=11, block_size=16, n_layer=2, n_head=2, n_embd=16)
TARGETS = ("attn.c_attn", "mlp.c_fc")


@pytest.fixture(autouse=True)
def _one_thread():
    with one_thread():  # tiny tensors: a second thread only waits (and on a busy machine, for long)
        yield


def perturbed_gpt(seed=0, config=CONFIG):
    """A GPT whose every weight is random (a fresh one has zero biases, which hide mistakes)."""
    torch.manual_seed(seed)
    model = GPT(config)
    with torch.no_grad():
        for p in model.parameters():
            p.add_(0.1 * torch.randn_like(p))
    return model.eval()


def ids(seed=1, batch=3, length=12):
    return torch.randint(CONFIG.vocab_size, (batch, length), generator=torch.Generator().manual_seed(seed))


def logits(model, x):
    with torch.no_grad():
        return model(x)[0]


def train_adapters(model, steps=5):
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-2)
    model.train()
    for step in range(steps):
        x = ids(seed=10 + step, length=CONFIG.block_size)
        loss = torch.nn.functional.cross_entropy(model(x[:, :-1])[0].flatten(0, 1), x[:, 1:].flatten())
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return model.eval()


@pytest.fixture
def base():
    return perturbed_gpt()


@pytest.fixture
def trained(base):
    model = copy.deepcopy(base)
    torch.manual_seed(5)
    apply_lora(model, r=4, alpha=8, targets=TARGETS)
    return train_adapters(model)


def test_lora_A_is_initialised_as_nn_linear_and_B_at_zero():
    torch.manual_seed(3)
    layer = LoRALinear(torch.nn.Linear(20, 30), r=4, lora_alpha=8)
    torch.manual_seed(3)
    torch.nn.Linear(20, 30)  # the base layer draws its weight first ...
    reference = torch.nn.Linear(20, 4, bias=False)  # ... then A draws like a (r, in) nn.Linear: kaiming a=sqrt(5)
    assert torch.equal(layer.lora_A, reference.weight)
    assert layer.lora_A.abs().max() <= 1 / math.sqrt(20) and layer.lora_A.abs().min() > 0
    assert torch.count_nonzero(layer.lora_B) == 0 and layer.lora_B.shape == (30, 4)
    assert layer.scaling == 2.0 and not layer.merged
    assert [n for n, p in layer.named_parameters() if p.requires_grad] == ["lora_A", "lora_B"]  # the base is frozen


def test_zero_B_gives_exactly_the_base_outputs(base):
    model = copy.deepcopy(base)
    names = apply_lora(model, r=4, alpha=8, targets=TARGETS)
    assert names == ["transformer.h.0.attn.c_attn", "transformer.h.0.mlp.c_fc",
                     "transformer.h.1.attn.c_attn", "transformer.h.1.mlp.c_fc"]
    assert all(isinstance(model.get_submodule(n), LoRALinear) for n in names)
    assert torch.equal(logits(model, ids()), logits(base, ids()))


def test_only_the_adapters_train_and_the_base_weights_stay(base, trained):
    trainable = {n for n, p in trained.named_parameters() if p.requires_grad}
    assert trainable == {f"{n}.lora_{ab}" for n in lora_layers(trained) for ab in "AB"}
    before = base.state_dict()
    after = {k.replace(".base_layer.", "."): v for k, v in trained.state_dict().items() if ".lora_" not in k}
    assert after.keys() == before.keys()
    assert all(torch.equal(after[k], before[k]) for k in before)
    assert all(torch.count_nonzero(m.lora_B) > 0 for m in lora_layers(trained).values())
    assert (logits(trained, ids()) - logits(base, ids())).abs().max() > 1e-3  # the adapters changed the model


def test_merge_equals_unmerged_and_unmerge_restores_the_base(base, trained):
    x = ids()
    unmerged = logits(trained, x)
    assert merge_lora(trained) == list(lora_layers(trained))
    assert all(m.merged for m in lora_layers(trained).values())
    assert (logits(trained, x) - unmerged).abs().max() < 1e-6
    layer = trained.get_submodule("transformer.h.0.attn.c_attn")
    w = base.get_submodule("transformer.h.0.attn.c_attn").weight
    assert (layer.base_layer.weight - w - layer.delta_weight()).abs().max() < 1e-6
    with pytest.raises(RuntimeError, match="already merged"):
        merge_lora(trained)
    with pytest.raises(RuntimeError, match="already merged"):
        layer.merge()
    unmerge_lora(trained)
    with pytest.raises(RuntimeError, match="not merged"):
        unmerge_lora(trained)
    restored = trained.state_dict()
    for k, v in base.state_dict().items():
        k = k.replace("c_attn.", "c_attn.base_layer.").replace("c_fc.", "c_fc.base_layer.")
        assert (restored[k] - v).abs().max() < 1e-6, k
    assert (logits(trained, x) - unmerged).abs().max() < 1e-6


def test_unknown_targets_are_refused_with_the_existing_linear_layers(base):
    with pytest.raises(ValueError, match=r"'attn\.q_proj'.*attn\.c_attn, attn\.c_proj, mlp\.c_fc, mlp\.c_proj"):
        apply_lora(base, targets=("attn.q_proj",))
    assert not lora_layers(base) and all(p.requires_grad for p in base.parameters())  # nothing changed


@pytest.mark.parametrize("kwargs, message", [
    (dict(r=0), "r \\(the rank\\)"), (dict(r=2.0), "r \\(the rank\\)"), (dict(alpha=0), "alpha"),
    (dict(dropout=1.0), "dropout"), (dict(targets=()), "non-empty"),
])
def test_bad_settings_are_refused(base, kwargs, message):
    with pytest.raises(ValueError, match=message):
        apply_lora(base, **kwargs)


def test_applying_twice_is_refused(base):
    apply_lora(base)
    with pytest.raises(ValueError, match="already has LoRA layers"):
        apply_lora(base)


def test_dropout_acts_on_the_adapter_input_only_in_training():
    torch.manual_seed(0)
    layer = LoRALinear(torch.nn.Linear(8, 8), r=2, lora_dropout=0.5)
    torch.nn.init.normal_(layer.lora_B)
    x = torch.randn(4, 8)
    layer.train()
    assert not torch.equal(layer(x), layer(x))
    layer.eval()
    expected = layer.base_layer(x) + x @ layer.delta_weight().T
    assert (layer(x) - expected).abs().max() < 1e-6


def test_saved_adapter_holds_only_lora_tensors_and_reloads_to_identical_outputs(tmp_path, base, trained):
    path = save_adapter(tmp_path / "adapter.safetensors", trained, meta={"play": "test"})
    tensors = load_file(path)
    assert set(tensors) == set(lora_state_dict(trained)) and len(tensors) == 2 * len(lora_layers(trained))
    assert all(k.endswith((".lora_A", ".lora_B")) for k in tensors)
    assert not list(tmp_path.glob("*.tmp")) and not list(tmp_path.glob(".*"))  # written atomically
    fresh = copy.deepcopy(base)
    meta = load_adapter(path, fresh)
    assert (meta["r"], meta["lora_alpha"], meta["targets"]) == (4, 8, list(lora_layers(trained)))
    assert meta["base_config"] == CONFIG.to_dict() and meta["meta"] == {"play": "test"}
    assert meta["base_sha256"] == base_sha256(base) == base_sha256(trained)
    assert torch.equal(logits(fresh, ids()), logits(trained, ids()))
    assert trainable_parameters(fresh) == trainable_parameters(trained)


def test_an_adapter_is_refused_on_another_base(tmp_path, trained):
    path = save_adapter(tmp_path / "a.safetensors", trained)
    other = perturbed_gpt(seed=1)
    with pytest.raises(AdapterError, match="another base model: its base weights hash to"):
        load_adapter(path, other)
    assert not lora_layers(other)  # refused before anything changed
    wider = GPT(GPTConfig(vocab_size=11, block_size=16, n_layer=2, n_head=2, n_embd=32))
    with pytest.raises(AdapterError, match=r"config differs.*'n_embd': \(16, 32\)"):
        load_adapter(path, wider)


def rewrite(path, out, change):
    tensors, meta = read_adapter(path)
    change(tensors)
    save_file(tensors, str(out), metadata={k: json.dumps(v) for k, v in meta.items()})
    return out


@pytest.mark.parametrize("change, message", [
    (lambda t: t.pop("transformer.h.1.mlp.c_fc.lora_B"), "lacks tensor transformer.h.1.mlp.c_fc.lora_B"),
    (lambda t: t.update({"transformer.h.0.attn.c_proj.lora_A": torch.zeros(4, 16)}),
     "holds tensor transformer.h.0.attn.c_proj.lora_A, which no LoRA layer"),
    (lambda t: t.update({"transformer.h.0.attn.c_attn.lora_A": torch.zeros(3, 16)}),
     r"tensor transformer.h.0.attn.c_attn.lora_A .* has shape \(3, 16\), this model needs \(4, 16\)"),
])
def test_bad_adapter_files_name_the_tensor(tmp_path, base, trained, change, message):
    path = rewrite(save_adapter(tmp_path / "a.safetensors", trained), tmp_path / "bad.safetensors", change)
    fresh = copy.deepcopy(base)
    with pytest.raises(AdapterError, match=message):
        load_adapter(path, fresh)
    assert not lora_layers(fresh)


def test_foreign_or_missing_files_are_refused(tmp_path, base):
    with pytest.raises(AdapterError, match="no adapter file"):
        load_adapter(tmp_path / "none.safetensors", base)
    save_file({"x": torch.zeros(1)}, str(tmp_path / "other.safetensors"))
    with pytest.raises(AdapterError, match="not a LoRA adapter"):
        load_adapter(tmp_path / "other.safetensors", base)
    (tmp_path / "junk.safetensors").write_bytes(b"not safetensors")
    with pytest.raises(AdapterError, match="not a readable safetensors file"):
        load_adapter(tmp_path / "junk.safetensors", base)


def test_save_and_load_refuse_merged_layers(tmp_path, trained):
    path = save_adapter(tmp_path / "a.safetensors", trained)
    merge_lora(trained)
    with pytest.raises(RuntimeError, match="unmerge"):
        save_adapter(tmp_path / "b.safetensors", trained)
    with pytest.raises(AdapterError, match="unmerge"):
        load_adapter(path, trained)


def test_trainable_parameters_count_the_tied_weight_once(base):
    assert trainable_parameters(base) == (base.num_parameters(), base.num_parameters())


@pytest.mark.parametrize("n_layer, n_embd", [(4, 128), (4, 256), (6, 128), (6, 256)])
def test_the_chapter_config_trains_under_one_percent(n_layer, n_embd):
    chapter = AdaptConfig()
    model = GPT(GPTConfig(vocab_size=63, n_layer=n_layer, n_head=4, n_embd=n_embd))
    apply_lora(model, r=chapter.r, alpha=chapter.alpha, targets=chapter.targets)
    trainable, total = trainable_parameters(model)
    assert trainable == n_layer * chapter.r * (n_embd + 3 * n_embd)  # c_attn: r * (in + out) per block
    assert total == GPT(model.config).num_parameters() + trainable
    assert trainable / total < 0.01
