"""Settings kept append-only in the journal's ``meta``: each change a new version.

A journal's own settings that change over time (the bench page's accounts, the cohorts' exam
sessions) are never overwritten, as nothing in a journal is: each change is a new key
``<prefix><name>:<version>`` holding a JSON object and the time it was written; the highest
version of a name is the one in force, the earlier ones its history.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from ep_skills.journal.storage import Storage

__all__ = ["append_version", "latest_versions"]


def latest_versions(storage: Storage, prefix: str) -> dict[str, tuple[int, dict[str, Any]]]:
    """Each name under ``prefix`` with its newest version: ``name → (version, data)``."""
    found: dict[str, tuple[int, dict[str, Any]]] = {}
    for key, raw in storage.meta_items(prefix).items():
        name, _sep, number = key.removeprefix(prefix).rpartition(":")
        version = int(number)
        if name not in found or version > found[name][0]:
            found[name] = (version, json.loads(raw))
    return found


def append_version(storage: Storage, prefix: str, name: str, data: dict[str, Any]) -> int:
    """Write ``data`` as the next version of ``name`` (inside the caller's transaction, which
    read the versions before: two writers take turns); returns its version."""
    versions = [
        int(key.rpartition(":")[2])
        for key in storage.meta_items(f"{prefix}{name}:")
        if key.removeprefix(f"{prefix}{name}:").isdigit()  # not a longer name's key
    ]
    version = max(versions, default=0) + 1
    stamped = {**data, "changed_at": datetime.now(UTC).isoformat(timespec="seconds")}
    storage.set_meta(
        f"{prefix}{name}:{version:06d}", json.dumps(stamped, ensure_ascii=False, sort_keys=True)
    )
    return version
