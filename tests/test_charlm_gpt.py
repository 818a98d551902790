"""Week 8's GPT in the character-model training loop: windows, scoring, resume, bf16, fused attention."""

import dataclasses
import json

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from safetensors.torch import load_file

from aimastery.attention import CausalSelfAttention
from aimastery.charlm.__main__ import main
from aimastery.charlm.checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from aimastery.charlm.data import RandomWindows, evaluate_windows, window_losses
from aimastery.charlm.generate import generate
from aimastery.charlm.model import CharLSTMConfig
from aimastery.charlm.train import CHECKPOINT_NAME, TrainConfig, load_run, train
from aimastery.data.shakespeare import load_shakespeare
from aimastery.gpt.model import GPT, GPTConfig
from aimastery.testing import one_torch_thread  # noqa: F401 (autouse: small tensors, one thread)

TINY = GPTConfig(vocab_size=63, block_size=64, n_layer=1, n_head=2, n_embd=32)


@pytest.fixture(scope="module")
def small_corpus():
    full = load_shakespeare()
    return dataclasses.replace(full, text="", train=full.train[:20_000], val=full.val[:3000])


def config(**kw):
    base = dict(batch_size=8, seq_len=32, max_steps=4, eval_every=2, eval_windows=64, warmup_steps=2, lr=3e-3)
    return TrainConfig(**{**base, **kw})


def quiet_train(*args, **kw):
    return train(*args, progress_bar=False, log=lambda _: None, **kw)


def untrained(seed=0):
    torch.manual_seed(seed)
    return GPT(TINY)


def test_random_windows_are_consecutive_ids_and_their_next():
    ids = torch.arange(100)
    windows = RandomWindows(ids, batch_size=5, seq_len=10, generator=torch.Generator().manual_seed(0))
    x, y, new_epoch = windows.next()
    assert x.shape == y.shape == (5, 10) and not new_epoch
    assert (x[:, 1:] == x[:, :-1] + 1).all() and (y == x + 1).all()  # consecutive, targets one ahead
    assert x.min() >= 0 and y.max() <= 99
    again = RandomWindows(ids, 5, 10, torch.Generator().manual_seed(0)).next()[0]
    assert torch.equal(x, again) and not torch.equal(x, windows.next()[0])
    with pytest.raises(ValueError, match="seq_len=100"):
        RandomWindows(ids, 5, 100, torch.Generator())


def test_window_scoring_is_deterministic_and_counts_every_position(small_corpus):
    model = untrained()
    val = torch.as_tensor(small_corpus.vocab.encode(small_corpus.val))
    losses = window_losses(model, val, window=64, n_windows=10, seed=3, batch_size=4)
    assert losses.shape == (10,)
    assert torch.equal(losses, window_losses(model, val, 64, 10, seed=3))  # same windows every call
    assert not torch.equal(losses, window_losses(model, val, 64, 10, seed=4))
    starts = torch.randint(len(val) - 64, (10,), generator=torch.Generator().manual_seed(3))
    for loss, s in zip(losses, starts):  # by hand: one window at a time, every position's loss
        logits, _ = model(val[s:s + 64][None])
        nll = F.cross_entropy(logits[0], val[s + 1:s + 65], reduction="none")
        assert nll.shape == (64,)
        torch.testing.assert_close(loss, nll.mean())
    assert evaluate_windows(model, val, 64, 10, seed=3) == pytest.approx(losses.mean().item())
    with pytest.raises(ValueError, match="n_windows"):
        window_losses(model, val, 64, 0)


def test_a_few_gpt_steps_lower_the_loss_and_checkpoint(tmp_path, small_corpus):
    val = torch.as_tensor(small_corpus.vocab.encode(small_corpus.val))
    before = evaluate_windows(untrained(), val, 64, 64, seed=0)
    run = quiet_train(tmp_path, TINY, config(max_steps=40, eval_every=20), corpus=small_corpus)
    final = run.progress.final
    assert run.kind == "gpt" and run.state is None and [h["step"] for h in run.progress.history] == [20, 40]
    assert final["val_loss"] < before - 0.5, (before, final)
    assert run.progress.history[-1]["val_loss"] == pytest.approx(final["val_loss"], abs=1e-4)  # reused
    assert "64-character windows" in final["scoring"] and abs(final["val_loss_chunked"] - final["val_loss"]) < 0.3
    tensors, meta = load_checkpoint(tmp_path / CHECKPOINT_NAME)
    assert meta["kind"] == "gpt" and meta["model_config"] == TINY.to_dict()
    assert {"rng.batches", "rng.torch", "model.transformer.wte.weight"} <= set(tensors)
    assert "state.h" not in tensors and "model.lm_head.weight" not in tensors
    decay = run.optimizer.param_groups[0]
    assert decay["weight_decay"] == 0.1 and all(p.ndim == 2 for p in decay["params"])
    assert run.optimizer.param_groups[1]["weight_decay"] == 0.0
    json.dumps(meta)


def test_gpt_resume_continues_exactly(tmp_path, small_corpus):
    straight = quiet_train(tmp_path / "a", TINY, config(max_steps=6), corpus=small_corpus)

    def stop_at_step_4(message):  # before step 4's checkpoint: the last one is step 2's
        if message.startswith("step 4:"):
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        train(tmp_path / "b", TINY, config(max_steps=6), corpus=small_corpus, progress_bar=False,
              log=stop_at_step_4)
    assert load_run(tmp_path / "b" / CHECKPOINT_NAME).progress.step == 2
    resumed = quiet_train(tmp_path / "b", resume=True, corpus=small_corpus)
    assert resumed.progress.step == 6 and [h["step"] for h in resumed.progress.history] == [2, 4, 6]
    for (name, p), q in zip(straight.model.state_dict().items(), resumed.model.state_dict().values()):
        assert torch.equal(p, q), name
    assert torch.equal(straight.generator.get_state(), resumed.generator.get_state())
    a, b = straight.optimizer.state_dict()["state"], resumed.optimizer.state_dict()["state"]
    assert all(torch.equal(a[i]["exp_avg_sq"], b[i]["exp_avg_sq"]) for i in a)
    assert straight.progress.final["val_loss"] == resumed.progress.final["val_loss"]


def test_bf16_and_fused_attention_train(tmp_path, small_corpus):
    plain = quiet_train(tmp_path / "a", TINY, config(max_steps=3), corpus=small_corpus)
    fast = quiet_train(tmp_path / "b", TINY, config(max_steps=3, bf16=True, fused_attention=True),
                       corpus=small_corpus)
    assert all(m.fused for m in fast.model.modules() if isinstance(m, CausalSelfAttention))
    assert np.isfinite(fast.progress.final["val_loss"])
    assert fast.progress.final["val_loss"] == pytest.approx(plain.progress.final["val_loss"], abs=0.05)
    assert all(p.dtype == torch.float32 for p in fast.model.parameters())  # autocast: fp32 master weights
    assert load_run(tmp_path / "b" / CHECKPOINT_NAME).config.bf16


def test_fused_attention_agrees_with_the_from_scratch_path():
    torch.manual_seed(0)
    attn = CausalSelfAttention(32, 4)
    x = torch.randn(3, 11, 32)
    ours, (k, v) = attn(x)
    attn.fused = True
    fused, (k2, v2) = attn(x)
    torch.testing.assert_close(fused, ours, atol=1e-6, rtol=1e-5)
    assert torch.equal(k, k2) and torch.equal(v, v2)
    x.requires_grad_(True)
    fused.sum().backward()  # the fused path trains too
    past = (k[:, :, :5], v[:, :, :5])  # with a KV cache it takes the from-scratch path: same answer
    cached, _ = attn(x.detach()[:, 5:], past=past)
    torch.testing.assert_close(cached, ours[:, 5:], atol=1e-6, rtol=1e-5)


def test_an_lstm_checkpoint_without_a_kind_still_loads(tmp_path, small_corpus):
    lstm = CharLSTMConfig(vocab_size=63, embed_dim=8, hidden_size=16)
    quiet_train(tmp_path, lstm, TrainConfig(batch_size=4, seq_len=16, max_steps=1, eval_chars=200),
                corpus=small_corpus)
    path = tmp_path / CHECKPOINT_NAME
    tensors, meta = load_checkpoint(path)
    assert meta.pop("kind") == "lstm"
    save_checkpoint(path, tensors, meta)  # as written before there was a GPT
    assert load_run(path).kind == "lstm"
    meta["kind"] = "rnn"
    save_checkpoint(path, tensors, meta)
    with pytest.raises(CheckpointError, match="kind 'rnn'"):
        load_run(path)


def test_a_gpt_checkpoint_with_wrong_shapes_or_a_short_block_is_refused(tmp_path, small_corpus):
    quiet_train(tmp_path, TINY, config(max_steps=1), corpus=small_corpus)
    path = tmp_path / CHECKPOINT_NAME
    _, meta = load_checkpoint(path)
    meta["model_config"]["n_embd"] = 64
    save_checkpoint(path, load_file(path), meta)
    with pytest.raises(CheckpointError, match="does not match"):
        load_run(path)
    with pytest.raises(ValueError, match="block_size=64"):
        quiet_train(tmp_path / "c", TINY, config(seq_len=128), corpus=small_corpus)


def test_generate_with_a_gpt_goes_past_its_block(small_corpus):
    model = GPT(dataclasses.replace(TINY, block_size=16))
    text = generate(model, small_corpus.vocab, "KENT:\n", 40, np.random.default_rng(0))
    assert len(text) == 40
    same = generate(model, small_corpus.vocab, "KENT:\n", 40, np.random.default_rng(0))
    assert text == same


def test_command_line_trains_a_gpt_and_samples(tmp_path, capsys):
    out = str(tmp_path / "gpt")
    tiny = ["--layers", "1", "--n-embd", "16", "--n-head", "2", "--batch-size", "4", "--seq-len", "16"]
    assert main(["train", "--model", "gpt", "--out", out, "--steps", "2", "--eval-every", "1", "--no-progress",
                 *tiny]) == 0
    assert "random 64-char windows" in capsys.readouterr().out
    _, meta = load_checkpoint(f"{out}/{CHECKPOINT_NAME}")
    assert meta["kind"] == "gpt" and meta["model_config"]["n_embd"] == 16 and meta["progress"]["step"] == 2
    assert main(["train", "--out", out, "--resume", "--steps", "3", "--no-progress"]) == 0
    assert "3 steps" in capsys.readouterr().out
    assert main(["sample", "--out", out, "--length", "80", "--prompt", "KENT:\n"]) == 0
    assert capsys.readouterr().out.startswith("KENT:\n")


def test_the_bench_reports_its_figures(tmp_path):
    from aimastery.bench.char_gpt import run_recipe

    figures = run_recipe((TINY, config(eval_windows=64, max_steps=None, max_minutes=1.0)), tmp_path, train_s=1.0)
    keys = {"val_loss", "val_loss_chunked", "wall_s", "train_s", "params", "steps", "scoring", "load_avg"}
    assert keys <= set(figures)
    assert figures["steps"] >= 1 and figures["train_s"] >= 1.0 and "64 random 64-character" in figures["scoring"]
    assert len(figures["load_avg"]) == 3 and figures["params"] == GPT(TINY).num_parameters()
    json.dumps(figures)


def test_the_recipes_fit_the_corpus():
    from aimastery.gpt.recipes import RECIPES

    vocab = len(load_shakespeare().vocab)
    for name, (gpt, cfg) in RECIPES.items():
        assert gpt.vocab_size == vocab and cfg.seq_len <= gpt.block_size, name
