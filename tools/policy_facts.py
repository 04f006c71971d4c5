"""Writes policy/facts.json: the catalog facts the policy pack's defaults use, shipped inside the pack.

A published pack carries only its own folder, so it cannot import the catalog. The catalog stays the one
source; this file is generated from it (`python -m tools.policy_facts`) and a test fails when it is stale.
"""

import json
import sys
from pathlib import Path
from typing import Any

from components import catalog

FACTS = Path(__file__).resolve().parents[1] / "policy" / "facts.json"


def facts() -> dict[str, Any]:
    return {
        "catalogAsOf": catalog.AS_OF.isoformat(),
        "serverlessRegions": sorted(catalog.serverless_regions()),
        "gpuVmSkus": list(catalog.GPU_VM_SKUS),
        "maxRequestTimeoutSeconds": catalog.LIMITS.max_request_timeout_seconds,
        "contentFilterSeverities": list(catalog.RAI_SEVERITIES),
        "defaultContentFilter": _default_content_filter(),
    }


def _default_content_filter() -> dict[str, Any]:
    default = catalog.MICROSOFT_DEFAULT_CONTENT_FILTER
    source = catalog.SOURCES[default.source]
    return {
        "name": default.name,
        "thresholds": dict(default.thresholds),
        "filters": list(default.filters),
        "source": source.url,
        "dated": source.dated.isoformat(),
    }


def render() -> str:
    return json.dumps(facts(), indent=2) + "\n"


def main() -> int:
    FACTS.write_text(render())
    print(f"wrote {FACTS}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
