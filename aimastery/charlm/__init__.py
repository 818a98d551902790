"""A character-level LSTM language model: the model, its data, training, sampling.

Taught in Week 6 (book/week06_sequences.md). ``python -m aimastery.charlm
train`` trains one for longer than a chapter can, with a progress bar,
periodic validation and resumable safetensors checkpoints;
``python -m aimastery.charlm sample`` writes text from a checkpoint.
Week 8 (book/week08_gpt.md) trains its GPT with the same loop
(``train --model gpt``; recipes in :mod:`aimastery.gpt.recipes`).
"""

from aimastery.charlm.data import StreamBatches, evaluate
from aimastery.charlm.model import CharLSTM, CharLSTMConfig

__all__ = ["CharLSTM", "CharLSTMConfig", "StreamBatches", "evaluate"]
