"""BERT written from scratch (Week 7, book/week07_attention_bert.md).

* :mod:`aimastery.bert.model`: the encoder in one file, with the checkpoint's names;
* :mod:`aimastery.bert.checkpoint`: loading a checkpoint by name, every misfit reported;
* :mod:`aimastery.bert.sentence`: sentence embeddings from the course's own tokeniser and model;
* :mod:`aimastery.bert.mlm`: masked-language-model pretraining of a tiny BERT.

The attention it is built on is :mod:`aimastery.attention` (Week 8's GPT uses it too).
"""
