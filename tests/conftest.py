"""What every test gets: the process's language as it was before the test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ep_skills.i18n import current_language, set_language


@pytest.fixture(autouse=True)
def _language_restored() -> Iterator[None]:
    # The command line sets the process's language (--lang): a test that runs it in-process
    # must not leave the next test speaking French.
    before = current_language()
    yield
    set_language(before)
