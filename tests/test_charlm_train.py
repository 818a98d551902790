"""The training script: a few steps on a corpus slice, checkpoints, resume, errors."""

import dataclasses
import json

import pytest
import torch
from safetensors.torch import load_file

from aimastery.charlm.__main__ import main
from aimastery.charlm.checkpoint import CheckpointError, load_checkpoint
from aimastery.charlm.model import CharLSTMConfig
from aimastery.charlm.train import (
    CHECKPOINT_NAME,
    TrainConfig,
    load_run,
    train,
)
from aimastery.data.shakespeare import load_shakespeare

MODEL = CharLSTMConfig(vocab_size=63, embed_dim=8, hidden_size=16)


@pytest.fixture(scope="module")
def small_corpus():
    full = load_shakespeare()
    return dataclasses.replace(full, text="", train=full.train[:6000],
                               val=full.val[:1500])


def config(**kw):
    base = dict(batch_size=4, seq_len=16, max_steps=4, eval_every=2,
                eval_chars=500, warmup_steps=2)
    return TrainConfig(**{**base, **kw})


def quiet_train(*args, **kw):
    return train(*args, progress_bar=False, log=lambda _: None, **kw)


def test_a_few_steps_write_a_checkpoint(tmp_path, small_corpus):
    run = quiet_train(tmp_path, MODEL, config(), corpus=small_corpus)
    assert run.progress.step == 4 and len(run.progress.history) == 2
    final = run.progress.final
    assert final["step"] == 4
    assert final["val_loss"] < final["val_loss_chunked"] + 0.5
    tensors, meta = load_checkpoint(tmp_path / CHECKPOINT_NAME)
    assert meta["progress"]["final"] == final
    assert meta["vocab"] == small_corpus.vocab.chars
    assert {"model.head.weight", "state.h", "rng.torch"} <= set(tensors)
    assert any(k.startswith("optim.") for k in tensors)
    assert not list(tmp_path.glob("*.tmp"))  # atomic write left no temp


def test_resume_continues_exactly(tmp_path, small_corpus):
    straight = quiet_train(tmp_path / "a", MODEL, config(max_steps=6),
                           corpus=small_corpus)
    quiet_train(tmp_path / "b", MODEL, config(max_steps=2),
                corpus=small_corpus)
    resumed = quiet_train(tmp_path / "b", resume=True, corpus=small_corpus,
                          max_steps=6)
    assert resumed.progress.step == 6
    assert resumed.progress.position == straight.progress.position
    for (name, p), q in zip(straight.model.state_dict().items(),
                            resumed.model.state_dict().values()):
        torch.testing.assert_close(p, q, msg=name)
    assert [h["step"] for h in resumed.progress.history] == [2, 4, 6]


def test_an_existing_checkpoint_is_not_overwritten(tmp_path, small_corpus):
    quiet_train(tmp_path, MODEL, config(max_steps=1), corpus=small_corpus)
    with pytest.raises(FileExistsError, match="--resume"):
        quiet_train(tmp_path, MODEL, config(max_steps=1), corpus=small_corpus)


def test_a_corrupt_checkpoint_is_a_clear_error(tmp_path, small_corpus):
    quiet_train(tmp_path, MODEL, config(max_steps=1), corpus=small_corpus)
    path = tmp_path / CHECKPOINT_NAME
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])  # truncated
    with pytest.raises(CheckpointError, match="corrupt or truncated"):
        load_run(path)
    path.write_bytes(b"not a checkpoint at all")
    with pytest.raises(CheckpointError, match="corrupt or truncated"):
        quiet_train(tmp_path, resume=True, corpus=small_corpus)


def test_a_checkpoint_with_wrong_shapes_is_refused(tmp_path, small_corpus):
    quiet_train(tmp_path, MODEL, config(max_steps=1), corpus=small_corpus)
    path = tmp_path / CHECKPOINT_NAME
    tensors = load_file(path)
    _, meta = load_checkpoint(path)
    meta["model_config"]["hidden_size"] = 32
    from aimastery.charlm.checkpoint import save_checkpoint
    save_checkpoint(path, tensors, meta)
    with pytest.raises(CheckpointError, match="does not match"):
        load_run(path)


def test_a_foreign_safetensors_file_is_refused(tmp_path):
    from safetensors.torch import save_file
    save_file({"w": torch.zeros(2)}, tmp_path / "x.safetensors",
              metadata={"format": "pt"})
    with pytest.raises(CheckpointError, match="not a character-LSTM"):
        load_checkpoint(tmp_path / "x.safetensors")
    with pytest.raises(CheckpointError, match="no checkpoint"):
        load_checkpoint(tmp_path / "missing.safetensors")


def test_schedule_warms_up_then_decays():
    cfg = config(max_steps=100, lr=1.0, warmup_steps=10,
                 final_lr_fraction=0.1)
    lrs = [cfg.lr_at(s, 0.0) for s in range(100)]
    assert lrs[0] == pytest.approx(0.1) and lrs[9] == pytest.approx(1.0)
    assert all(a >= b for a, b in zip(lrs[10:], lrs[11:]))
    assert cfg.lr_at(100, 0.0) == pytest.approx(0.1)
    timed = TrainConfig(max_minutes=1.0, warmup_steps=0, lr=1.0)
    assert timed.lr_at(5, 30.0) == pytest.approx(0.525)  # halfway in time
    with pytest.raises(ValueError, match="max_steps or max_minutes"):
        TrainConfig()


def test_command_line_trains_resumes_and_samples(tmp_path, capsys):
    out = str(tmp_path / "run")
    common = ["--hidden", "8", "--batch-size", "4", "--seq-len", "16",
              "--eval-every", "1", "--no-progress"]
    assert main(["train", "--out", out, "--steps", "1", *common]) == 0
    assert "validation loss" in capsys.readouterr().out
    assert main(["train", "--out", out, "--steps", "1", *common]) == 2
    assert "--resume" in capsys.readouterr().err
    assert main(["train", "--out", out, "--resume", "--steps", "2",
                 "--no-progress"]) == 0
    assert "2 steps" in capsys.readouterr().out
    _, meta = load_checkpoint(f"{out}/{CHECKPOINT_NAME}")
    assert meta["progress"]["step"] == 2
    assert main(["sample", "--out", out, "--length", "20",
                 "--prompt", "KENT:\n"]) == 0
    assert capsys.readouterr().out.startswith("KENT:\n")
    json.dumps(meta)  # plain JSON all the way down
