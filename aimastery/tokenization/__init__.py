"""Tokenisers written from scratch (Week 7, book/week07_attention_bert.md).

* :mod:`aimastery.tokenization.bpe`: byte-pair encoding, trained on a corpus;
* :mod:`aimastery.tokenization.wordpiece`: BERT's WordPiece, reading a model's
  ``vocab.txt`` and giving the ids of the shipped ``tokenizer.json``;
* :mod:`aimastery.tokenization.sentences`: the varied test set they are checked on;
* :mod:`aimastery.tokenization.stats`: characters, words and subwords compared.
"""
