"""Fixtures for the browser smoke test: the built book served on 127.0.0.1, and headless Chromium."""

from __future__ import annotations

from pathlib import Path

import pytest

from aimastery.config import REPO_ROOT
from aimastery.devtools.browser import BOOK, chromium, serve


@pytest.fixture(scope="session")
def book_dir() -> Path:
    if not (BOOK / "index.html").exists():
        pytest.fail(f"no built book in {BOOK.relative_to(REPO_ROOT)}: run `make book` first")
    return BOOK


@pytest.fixture(scope="session")
def base_url(book_dir: Path):
    with serve(book_dir) as url:
        yield url


@pytest.fixture(scope="session")
def driver():
    try:
        with chromium() as browser:
            yield browser
    except FileNotFoundError as err:
        pytest.fail(str(err))
