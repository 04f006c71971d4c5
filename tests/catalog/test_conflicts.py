"""catalog.conflicts: each disagreement between Microsoft's sources names both sources and what the program does."""

from catalog import models
from catalog.conflicts import CONFLICTS
from catalog.sources import SOURCES


def test_each_conflict_cites_two_known_sources_and_says_what_the_program_does():
    for key, conflict in CONFLICTS.items():
        (a, _), (b, _) = conflict.one, conflict.other
        assert a in SOURCES and b in SOURCES and a != b, key
        assert conflict.program, key
        sentence = conflict.sentence()
        assert str(SOURCES[a].dated) in sentence and str(SOURCES[b].dated) in sentence


def test_every_offer_that_names_a_conflict_names_a_recorded_one():
    named = {
        offer.conflict
        for m in models.MODELS.values()
        for offer in (m.serverless, m.managed, m.foundry)
        if offer is not None and offer.conflict
    }
    assert named and named <= set(CONFLICTS)
    assert models.MODELS["Llama-3.3-70B-Instruct"].managed.conflict == "llama33-managed-compute"
