"""Lab 6: an LSTM cell, forward and backward, and the four sampling rules."""
