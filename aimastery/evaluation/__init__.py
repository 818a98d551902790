"""Generalisation and evaluation, from scratch: splits, metrics, calibration, TF-IDF.

Taught in Week 3 (book/week03_evaluation.md). One idea per module:

* :mod:`~aimastery.evaluation.splits` — k-fold and stratified k-fold indices;
* :mod:`~aimastery.evaluation.metrics` — confusion matrix, precision, recall
  and F1 (macro, micro, weighted), ROC and precision–recall curves, ROC-AUC,
  average precision, log-loss;
* :mod:`~aimastery.evaluation.calibration` — reliability diagram, expected
  calibration error, temperature scaling;
* :mod:`~aimastery.evaluation.biasvar` — the bias–variance decomposition by
  simulation;
* :mod:`~aimastery.evaluation.regularisation` — ridge and lasso paths;
* :mod:`~aimastery.evaluation.tfidf` — a TF-IDF vectorizer equal to
  scikit-learn's.

Each function is checked against scikit-learn (``tests/evaluation/``); the
chapter imports them for its figures. Lab 3 (solutions/week03_evaluation/)
has the learner write stratified k-fold, ROC-AUC with ties, average
precision and TF-IDF.
"""
