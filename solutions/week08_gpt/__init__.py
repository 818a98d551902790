"""Lab 8: the causal mask and masked attention, the KV cache, a LoRA linear layer."""
