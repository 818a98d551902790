"""Convolutional networks (Week 5, book/week05_cnn.md): convolution, pooling and batch norm written from
scratch in NumPy, the ResNet builder, and a FLOP counter."""
