"""Check referential TOML files while the CLI is not installed: python scripts/check_referential.py FILE..."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from ep_skills.errors import ReferentialError  # noqa: E402
from ep_skills.referential.codec import load_referential  # noqa: E402
from ep_skills.referential.provenance import count_by_status  # noqa: E402

status = 0
for name in sys.argv[1:]:
    try:
        ref, warnings = load_referential(name)
    except ReferentialError as exc:
        print(exc)
        status = 1
        continue
    for w in warnings:
        print(w)
    counts = dict(count_by_status(ref))
    print(f"{name}: OK ({', '.join(f'{k}={v}' for k, v in counts.items())})")
sys.exit(status)
