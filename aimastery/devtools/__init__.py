"""Tooling for building and checking the book (not used by the chapters themselves)."""
