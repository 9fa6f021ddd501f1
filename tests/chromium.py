"""Debian's headless Chromium for the browser tests, driven by Playwright (never a browser
downloaded by it): the system's ``chromium`` (or ``chromium-browser``) on the PATH.

Without one the tests are skipped, except under CI (``$CI`` set), where a missing Chromium is
a failure: CI must install it.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, sync_playwright

from ep_skills.i18n import current_language, set_language

ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


def chromium() -> str:
    """The system Chromium's path (skips the test outside CI when there is none)."""
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found:
        return found
    if os.environ.get("CI"):
        pytest.fail(
            "no chromium binary on the PATH: CI must install one for the browser tests "
            "(Debian/Ubuntu: apt-get install chromium)"
        )
    pytest.skip("no chromium or chromium-browser on the PATH (outside CI: skipped)")


def launch() -> Iterator[Browser]:
    """One headless Chromium, closed at the end (a module's ``browser`` fixture yields it)."""
    executable = chromium()
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=ARGS)
        yield launched
        launched.close()


def in_french() -> Iterator[None]:
    """The pages and reports in French, as instructors read them (an autouse fixture)."""
    before = current_language()
    set_language("fr")
    yield
    set_language(before)
