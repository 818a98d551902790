"""Lab 3: stratified k-fold, ROC-AUC with ties, average precision, TF-IDF."""
