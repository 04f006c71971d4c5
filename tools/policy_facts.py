"""Writes policy/facts.json: the catalog facts the policy pack's defaults use, shipped inside the pack.

A published pack carries only its own folder, so it cannot import the catalog. The catalog stays the one
source; this file is generated from it (`python -m tools.policy_facts`) and a test fails when it is stale.
"""

import json
import sys
from pathlib import Path
from typing import Any

from catalog import sources
from infra.kinds import KINDS

FACTS = Path(__file__).resolve().parents[1] / "policy" / "facts.json"


def facts() -> dict[str, Any]:
    """The catalog's date and what each kind contributes to the pack's defaults."""
    found: dict[str, Any] = {"catalogAsOf": sources.AS_OF.isoformat()}
    for kind in KINDS.values():
        found |= kind.policy_facts()
    return found


def render() -> str:
    return json.dumps(facts(), indent=2) + "\n"


def main() -> int:
    FACTS.write_text(render())
    print(f"wrote {FACTS}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
