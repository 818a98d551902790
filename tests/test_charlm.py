"""The character LSTM: model, gate trace, batches, evaluation, generation."""

import math

import numpy as np
import pytest
import torch

from aimastery.charlm.data import (
    IGNORE,
    StreamBatches,
    as_chunks,
    as_streams,
    evaluate,
)
from aimastery.charlm.generate import generate
from aimastery.charlm.model import CharLSTM, CharLSTMConfig, lstm_gates
from aimastery.data.shakespeare import load_shakespeare


def tiny_model(layers=1, hidden=12, seed=0):
    torch.manual_seed(seed)
    return CharLSTM(CharLSTMConfig(vocab_size=63, embed_dim=8,
                                   hidden_size=hidden, num_layers=layers))


def test_forward_shapes_and_state():
    model = tiny_model(layers=2)
    idx = torch.randint(0, 63, (3, 7))
    logits, (h, c) = model(idx)
    assert logits.shape == (3, 7, 63) and h.shape == c.shape == (2, 3, 12)
    # feeding the sequence in two pieces with the state carried is the same
    first, state = model(idx[:, :4])
    second, _ = model(idx[:, 4:], state)
    torch.testing.assert_close(torch.cat([first, second], 1), logits)


def test_forget_gate_bias_starts_high():
    model = tiny_model(hidden=12)
    b = model.lstm.bias_ih_l0 + model.lstm.bias_hh_l0
    assert b[12:24].mean() > 0.7 > b[:12].abs().mean()


@pytest.mark.parametrize("layer", [0, 1])
def test_gate_trace_reproduces_nn_lstm(layer):
    model = tiny_model(layers=2)
    idx = torch.randint(0, 63, (20,))
    gates = lstm_gates(model, idx, layer=layer)
    assert set(gates) == {"input", "forget", "cell_candidate", "output",
                          "cell", "hidden"}
    assert all(g.shape == (20, 12) for g in gates.values())
    _, (h, c) = model(idx[None])
    torch.testing.assert_close(gates["hidden"][-1], h[layer, 0])
    torch.testing.assert_close(gates["cell"][-1], c[layer, 0])
    for name in ("input", "forget", "output"):
        assert 0 <= gates[name].min() and gates[name].max() <= 1


def test_gate_trace_refuses_bad_input():
    with pytest.raises(ValueError, match=r"shape \(T,\)"):
        lstm_gates(tiny_model(), torch.zeros(2, 3, dtype=torch.int64))
    with pytest.raises(ValueError, match="layer"):
        lstm_gates(tiny_model(), torch.zeros(3, dtype=torch.int64), layer=1)


def test_config_validates():
    with pytest.raises(ValueError, match="hidden_size must be a positive"):
        CharLSTMConfig(hidden_size=0)
    with pytest.raises(ValueError, match="dropout"):
        CharLSTMConfig(dropout=1.0)


@pytest.mark.parametrize("n", [2, 10, 101])
def test_streams_and_chunks_predict_every_character_once(n):
    ids = torch.arange(n)
    for inputs, targets in (as_streams(ids, 4), as_chunks(ids, 8)):
        real = targets[targets != IGNORE]
        assert sorted(real.tolist()) == list(range(1, n))
        pairs = inputs[targets != IGNORE]
        assert torch.equal(pairs + 1, real)  # each target follows its input


def test_stream_batches_walk_consecutively_and_wrap():
    batches = StreamBatches(torch.arange(41), batch_size=2, seq_len=6)
    x1, y1, new1 = batches.next()
    x2, _, _ = batches.next()
    assert x1.shape == (2, 6) and not new1
    assert torch.equal(x2[:, 0], x1[:, -1] + 1)  # chunk 2 continues chunk 1
    batches.next()
    _, _, wrapped = batches.next()
    assert wrapped and batches.position == 6
    with pytest.raises(ValueError, match="fewer than seq_len"):
        StreamBatches(torch.arange(10), batch_size=4, seq_len=6)


def test_evaluate_matches_a_direct_computation():
    model = tiny_model()
    ids = torch.randint(0, 63, (50,))
    logits, _ = model(ids[None, :-1])
    direct = torch.nn.functional.cross_entropy(logits[0], ids[1:]).item()
    assert evaluate(model, ids, batch_size=1) == pytest.approx(direct,
                                                               rel=1e-5)
    chunked = evaluate(model, ids, stateful=False, chunk_len=49)
    assert chunked == pytest.approx(direct, rel=1e-5)
    untrained = evaluate(model, ids, stateful=False, chunk_len=8)
    assert abs(untrained - math.log(63)) < 0.5
    assert model.training  # evaluate restores the mode


def test_generate_is_seeded_and_carries_the_state():
    model = tiny_model()
    vocab = load_shakespeare().vocab
    a = generate(model, vocab, "ROMEO:\n", 40, np.random.default_rng(3))
    b = generate(model, vocab, "ROMEO:\n", 40, np.random.default_rng(3))
    assert a == b and len(a) == 40 and set(a) <= set(vocab.chars)
    greedy_like = generate(model, vocab, "A", 10, np.random.default_rng(0),
                           temperature=1e-6)
    assert greedy_like == generate(model, vocab, "A", 10,
                                   np.random.default_rng(1), temperature=1e-6)
    with pytest.raises(ValueError, match="not in the vocabulary"):
        generate(model, vocab, "Ωmega", 5, np.random.default_rng(0))
