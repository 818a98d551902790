"""The course's finished NumPy LSTM: one cell step forward and backward, and the loop through time.

Taught in Week 6 (book/week06_sequences.md). The chapter prints a vanilla
RNN in full and derives the LSTM's backward pass; its gradient checks and
the figure of gradients through time run on this finished LSTM, and Lab 6
has the learner write the cell.

Its one source is Lab 6's reference solution,
``solutions/week06_lstm/lstm.py`` (the lab's stubs are generated from it),
so the LSTM the chapter runs and the one the lab's tests hold up as correct
cannot drift apart. Parameters have ``torch.nn.LSTMCell``'s names and
shapes (see :data:`PARAMS`).
"""

from solutions.week06_lstm.lstm import PARAMS, lstm_backward, lstm_cell_backward, lstm_cell_forward, lstm_forward

__all__ = ["PARAMS", "lstm_backward", "lstm_cell_backward", "lstm_cell_forward", "lstm_forward"]
