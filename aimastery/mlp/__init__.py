"""A multilayer perceptron in NumPy, as fast as PyTorch, and its PyTorch twin.

Taught in Week 4 (book/week04_mlp.md): the chapter derives and shows this
code, checks its gradients, trains it on MNIST and compares it with
PyTorch; ``make bench ONLY=mlp`` (:mod:`aimastery.bench.mlp`) times the two.
Lab 4 (solutions/week04_mlp/) has the learner write the plain version.

* :mod:`aimastery.mlp.layers`: Linear, ReLU, Sigmoid, SoftmaxCrossEntropy;
* :mod:`aimastery.mlp.model`: MLP (layers in a row) and SGD with momentum;
* :mod:`aimastery.mlp.train`: one training epoch, evaluation;
* :mod:`aimastery.mlp.torch_twin`: the same network and loop in PyTorch.
"""
