"""BERT's masking rule and the tiny BERT's pretraining loop."""

import torch

from aimastery.bench.bert import shakespeare_batch
from aimastery.bert.mlm import IGNORE, fixed_val_batches, mask_tokens, mlm_loss, top_guesses, train_mlm
from aimastery.bert.model import BertConfig, BertForMaskedLM
from aimastery.tokenization.wordpiece import WordPiece
from aimastery.testing import one_torch_thread  # noqa: F401 (autouse: small tensors, one thread)

V, MASK, PAD = 50, 49, 0



def test_the_80_10_10_rule():
    ids = torch.randint(1, V - 1, (200, 100), generator=torch.Generator().manual_seed(0))
    ids[:, -10:] = PAD
    inputs, labels = mask_tokens(ids, MASK, V, torch.Generator().manual_seed(1), protected=[PAD])
    chosen = labels != IGNORE
    assert abs(chosen[:, :-10].float().mean() - 0.15) < 0.01 and not chosen[:, -10:].any()
    assert torch.equal(labels[chosen], ids[chosen]) and torch.equal(inputs[~chosen], ids[~chosen])
    masked = (inputs[chosen] == MASK).float().mean()
    unchanged = (inputs[chosen] == ids[chosen]).float().mean()
    assert abs(masked - 0.8) < 0.02 and abs(unchanged - 0.1) < 0.02 + 1 / V  # a random draw may hit the truth
    assert not (inputs[chosen] == PAD).any()


def test_a_few_steps_learn_something():
    torch.manual_seed(0)
    config = BertConfig(vocab_size=V, hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
                        intermediate_size=32, max_position_embeddings=16, hidden_dropout_prob=0.0,
                        attention_probs_dropout_prob=0.0)
    model = BertForMaskedLM(config)
    ids = torch.arange(1, 9).repeat(400)  # 1 2 3 ... 8 1 2 3 ...: each token says which comes next
    val = fixed_val_batches(ids, MASK, V, n_batches=2, batch_size=16, seq_len=16)
    before = mlm_loss(model, val)
    run = train_mlm(model, ids, mask_id=MASK, steps=150, batch_size=16, seq_len=16, lr=3e-3, warmup=10,
                    val_batches=val, val_every=50)
    assert len(run.loss) == 150 and run.val_steps == [50, 100, 150]
    assert run.val_loss[-1] < before - 1.0
    guesses = top_guesses(model, [1, 2, 3, MASK, 5], 3, k=3)
    assert len(guesses) == 3 and all(0 <= i < V and 0 <= p <= 1 for i, p in guesses)


def test_the_bench_batch_is_32_by_32():
    batch = shakespeare_batch(WordPiece.minilm())
    assert len(batch) == 32 and {len(ids) for ids in batch} == {32}
    assert all(ids[0] == 101 and ids[-1] == 102 for ids in batch)
