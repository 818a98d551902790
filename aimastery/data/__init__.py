"""Data loaders: every data set the course uses, read offline from installed packages.

Each loader validates what it reads before trusting it and says clearly what
was wrong (which file, what was expected).
"""
