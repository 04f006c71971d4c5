"""catalog.sources: every source is cited by a fact, and every fact's source is a known one."""

import re

from catalog import sources
from tests.support.stacks import ROOT


def test_every_source_of_the_catalog_is_cited_by_a_fact():
    # The price snapshot (catalog/prices.json) cites its sources by key too.
    files = [*(ROOT / "catalog").glob("*.py"), *(ROOT / "infra").rglob("*.py"), *(ROOT / "catalog").glob("*.json")]
    code = "".join(p.read_text() for p in files)
    facts = code.split("SOURCES: dict", 1)[0] + code.split("SOURCES: dict", 1)[1].split("\n}\n", 1)[1]
    for key in sources.SOURCES:
        assert re.search(rf'[\[ ,"\']{re.escape(key)}[\],"\']', facts), f"source {key!r} is cited by no fact"
