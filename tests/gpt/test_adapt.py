"""The adaptation experiment: a held-out play, seeded window losses, three arms on the same batches."""

import copy
import math
import sys
import time

import numpy as np
import pytest
import torch

from aimastery.charlm.data import evaluate_windows
from aimastery.data.shakespeare import CharVocab, load_play_text, load_shakespeare
from aimastery.gpt.adapt import (
    AdaptConfig,
    PeakRSS,
    adaptation_data,
    compare_adaptation,
    train_steps,
)
from aimastery.gpt.lora import lora_layers
from aimastery.gpt.model import GPT, GPTConfig
from aimastery.threads import one_thread

TINY = dict(steps=6, batch_size=4, seq_len=32, eval_windows=16, eval_window=32)


@pytest.fixture(autouse=True)
def _one_thread():
    with one_thread():  # tiny tensors: a second thread only waits
        yield


@pytest.fixture(scope="module")
def vocab():
    return load_shakespeare().vocab


@pytest.fixture
def tiny_gpt(vocab):
    torch.manual_seed(0)
    return GPT(GPTConfig(vocab_size=len(vocab), block_size=64, n_layer=2, n_head=2, n_embd=32)).eval()


def test_a_play_outside_the_corpus_encodes_in_the_corpus_vocabulary(vocab):
    text = load_play_text("histories/henry-v", vocab)
    assert text.startswith("Chorus:\nO for a Muse of fire") and "Comment appelez-vous" in text
    assert set(text) <= set(vocab.chars)
    train, held = adaptation_data(vocab, "histories/henry-v", 0.8)
    assert vocab.decode(np.concatenate([train, held])) == text
    assert 0.79 < len(train) / len(text) < 0.81
    assert vocab.decode(train).endswith("\n\n")  # cut at a speech boundary


def test_characters_outside_the_vocabulary_are_named_dropped_or_replaced(vocab):
    with pytest.raises(ValueError, match=r"outside the vocabulary: '2' x3, '4' x1"):
        load_play_text("histories/henry-iv-part-1", vocab)
    dropped = load_play_text("histories/henry-iv-part-1", vocab, unknown="drop")
    replaced = load_play_text("histories/henry-iv-part-1", vocab, unknown=" ")
    raw = load_play_text("histories/henry-iv-part-1")
    assert set(dropped) <= set(vocab.chars) and len(dropped) == len(raw) - 7 and len(replaced) == len(raw)
    with pytest.raises(ValueError, match="unknown must be"):
        load_play_text("histories/henry-iv-part-1", vocab, unknown="#")


def test_the_adaptation_play_must_be_new_to_the_model():
    with pytest.raises(ValueError, match="one of the pretraining plays"):
        AdaptConfig(play="tragedies/hamlet")
    with pytest.raises(ValueError, match="steps must be a positive integer"):
        AdaptConfig(steps=0)


def test_a_fresh_gpt_scores_near_uniform(tiny_gpt, vocab):
    ids = np.arange(200) % len(vocab)
    loss = evaluate_windows(tiny_gpt, ids, window=16, n_windows=8, seed=1)  # the scoring the arms use
    assert abs(loss - math.log(len(vocab))) < 0.05  # a fresh GPT's logits are near zero: uniform over 63


def test_training_a_frozen_model_is_refused(tiny_gpt):
    tiny_gpt.requires_grad_(False)
    with pytest.raises(ValueError, match="nothing to train"):
        train_steps(tiny_gpt, np.arange(100), 1, 1e-3)


def test_three_arms_on_an_untouched_model(tiny_gpt, vocab):
    before = copy.deepcopy(tiny_gpt.state_dict())
    config = AdaptConfig(**TINY)
    table = compare_adaptation(tiny_gpt, vocab, config, corpus_val=load_shakespeare().val[:5000])
    assert all(torch.equal(v, before[k]) for k, v in tiny_gpt.state_dict().items())
    lora = f"LoRA r={config.r} on attn.c_attn"
    assert list(table.index) == ["none", "full fine-tuning", lora]
    total = tiny_gpt.num_parameters()
    lora_params = 2 * config.r * (32 + 96)
    assert table["trainable_params"].tolist() == [0, total, lora_params]
    assert table.loc["full fine-tuning", "trainable_pct"] == 100
    # a float32 gradient and two float32 AdamW moments per trained weight
    assert table["grad_adam_bytes"].tolist() == [0, 12 * total, 12 * lora_params]
    assert table.loc["none", "train_seconds"] == 0 and (table["train_seconds"].iloc[1:] > 0).all()
    assert (table["held_out_loss"] < table.loc["none", "held_out_loss"] + 1e-9).iloc[1:].all()
    assert table.notna().drop(columns=["adapt_train_loss", "peak_rss_rise_mb"]).all().all()
    models = {}
    again = compare_adaptation(tiny_gpt, vocab, config, corpus_val=load_shakespeare().val[:5000], models=models)
    assert list(models) == list(table.index) and models["none"] is not tiny_gpt
    assert len(lora_layers(models[lora])) == 2 and not lora_layers(models["full fine-tuning"])
    for column in ("held_out_loss", "corpus_val_loss", "adapt_train_loss"):
        np.testing.assert_array_equal(table[column], again[column])  # seeded: the same batches and windows
    assert table.attrs["config"]["play"] == "histories/henry-v" and table.attrs["held_out_chars"] > 20_000


def test_a_vocabulary_of_another_size_is_refused(tiny_gpt):
    with pytest.raises(ValueError, match="the vocabulary has 3 characters, the model 63"):
        compare_adaptation(tiny_gpt, CharVocab("abc"))


def test_peak_rss_sees_a_torch_allocation():
    with PeakRSS() as rss:
        block = torch.ones(64 * 2**20 // 4)  # 64 MiB of float32, touched
        time.sleep(0.05)  # the sampler's interval is 2 ms
        del block
    assert rss.released or not sys.platform.startswith("linux")  # glibc: freed memory went back to the OS first
    assert 56 < rss.rise / 2**20 < 96
