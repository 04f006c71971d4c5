"""Writes policy/facts.json: the catalog facts the policy pack's defaults use, shipped inside the pack.

A published pack carries only its own folder, so it cannot import the catalog. The catalog stays the one
source; this file is generated from it (`python -m tools.policy_facts`) and a test fails when it is stale.
"""

import json
import sys
from pathlib import Path
from typing import Any

from catalog import content_filters, limits, models, sources, vm_skus

FACTS = Path(__file__).resolve().parents[1] / "policy" / "facts.json"


def facts() -> dict[str, Any]:
    return {
        "catalogAsOf": sources.AS_OF.isoformat(),
        "serverlessRegions": sorted(models.serverless_regions()),
        "gpuVmSkus": list(vm_skus.GPU_VM_SKUS),
        "maxRequestTimeoutSeconds": limits.LIMITS.max_request_timeout_seconds,
        "contentFilterSeverities": list(content_filters.RAI_SEVERITIES),
        "defaultContentFilter": _default_content_filter(),
    }


def _default_content_filter() -> dict[str, Any]:
    default = content_filters.MICROSOFT_DEFAULT_CONTENT_FILTER
    source = sources.SOURCES[default.source]
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
