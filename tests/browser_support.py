"""Driving Debian's chromium with Playwright (no browser download)."""

from __future__ import annotations

import shutil
from contextlib import contextmanager
from typing import Iterator

CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


def chromium_path() -> str | None:
    """Path of a usable chromium, or None."""
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    return None


def skip_reason() -> str | None:
    """Why browser tests cannot run here (None when they can)."""
    if chromium_path() is None:
        return "chromium is not installed (apt-get install -y chromium); browser tests skipped"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed (pip install -e '.[test]'); browser tests skipped"
    return None


@contextmanager
def browser_page(width: int = 1400, height: int = 1000) -> Iterator:
    """A fresh headless page."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": width, "height": height})
            yield page
        finally:
            browser.close()


def wait_ready(page, updates: int, timeout_ms: float = 60_000) -> None:
    """Wait until the dashboard reports having finished update number ``updates``."""
    page.wait_for_selector(f".maturity-ready[data-updates='{updates}']", timeout=timeout_ms)


def current_updates(page) -> int:
    return int(page.get_attribute(".maturity-ready", "data-updates"))


def peer_n(page) -> int:
    return int(page.get_attribute(".maturity-peer-n", "data-n"))
