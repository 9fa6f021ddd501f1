"""Mistakes mypy must catch (tests/test_public_api.py expects an error on each marked line)."""

from __future__ import annotations

from ep_skills import open_journal

journal = open_journal("misuse.db", create=True)
journal.record(["Léa Martin"], task="conduire-ligne-mode-normal", levle="V")  # error: levle
journal.record(["Léa Martin"], task="conduire-ligne-mode-normal", day="2026-10-01")  # error: day
journal.record(["Léa Martin"], autonomy="3")  # error: autonomy
journal.add_trainee("Zoé", diploma="cap-cip", external_id=42)  # error: external_id
journal.update_trainee("Zoé", cohort=2027)  # error: cohort
