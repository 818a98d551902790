"""Lab 7: attention with masks, multi-head attention, a BERT encoder layer, the real checkpoint's names."""
