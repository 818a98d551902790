"""Headless Chromium for the smoke test and for screenshots of the built book.

Uses Debian's ``chromium`` and ``chromium-driver``; nothing downloads a
browser. Screenshots: ``python -m aimastery.devtools.browser PAGE [OUT.png]``
(PAGE relative to ``_build/html``), to look at a page as a reader sees it.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import shutil
import tempfile
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from aimastery.config import REPO_ROOT

BOOK = REPO_ROOT / "_build" / "html"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
FLAGS = ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-quic", "--no-first-run")


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@contextlib.contextmanager
def serve(directory: Path = BOOK) -> Iterator[str]:
    """Serve ``directory`` on 127.0.0.1 (a free port); yield the base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(directory)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@contextlib.contextmanager
def chromium(width: int = 1280, height: int = 1600) -> Iterator:
    """A selenium driver for headless Chromium with a fresh profile and the console log enabled."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    for path in (CHROMIUM, CHROMEDRIVER):
        if not Path(path).exists():
            raise FileNotFoundError(f"{path} is missing: install Debian's chromium and chromium-driver (.ci/run does)")
    profile = tempfile.mkdtemp(prefix="aim-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (*FLAGS, f"--window-size={width},{height}", f"--user-data-dir={profile}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def screenshot(page: str, out: Path, *, full_page: bool = True, wait: float = 3.0, width: int = 1280) -> Path:
    """Save a PNG of a built page, after ``wait`` seconds for widgets and maths to render."""
    import time

    with serve() as base, chromium(width=width) as driver:
        driver.get(f"{base}/{page}")
        time.sleep(wait)
        if full_page:
            height = driver.execute_script("return document.documentElement.scrollHeight")
            driver.set_window_size(width, min(height, 16000))
            time.sleep(0.5)
        driver.save_screenshot(str(out))
    return out


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("page", help="a page under _build/html, e.g. book/week01_autodiff.html")
    parser.add_argument("out", nargs="?", default="page.png")
    parser.add_argument("--viewport", action="store_true", help="only the first screenful")
    args = parser.parse_args()
    print(screenshot(args.page, Path(args.out), full_page=not args.viewport))
