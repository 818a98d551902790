"""Capstone lab: the edge of the issue-classifier service (validation, errors, API key, batches)."""
