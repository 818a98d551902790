"""Lab 5: convolution, pooling and batch norm in NumPy, forward and backward; residual blocks and ResNet-18."""
