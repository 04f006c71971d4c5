"""catalog.models: the Llama models Azure offers, each way and until when, as Microsoft says on the catalog date."""

import datetime as dt

import pytest

from catalog import models
from catalog.sources import AS_OF

SMALL = ["Llama-3.2-1B-Instruct", "Llama-3.2-3B-Instruct", "Llama-3.2-1B", "Llama-3.2-3B"]
GUARD = ["Llama-Guard-3-1B", "Llama-Guard-3-11B-Vision"]
MAAS = {"eastus", "eastus2", "northcentralus", "southcentralus", "swedencentral", "westus", "westus3"}


@pytest.mark.parametrize("name", SMALL + GUARD)
def test_the_small_llama_32_and_guard_models_are_serverless_in_the_seven_regions(name):
    offer = models.MODELS[name].serverless
    assert offer is not None and offer.regions == MAAS and offer.marketplace
    assert offer.lifecycle.stage(AS_OF) is models.Stage.GENERALLY_AVAILABLE
    assert offer.conflict == "llama32-small-serverless", "no longer on the partner list: recorded, not resolved"
    assert models.MODELS[name].managed is None and models.MODELS[name].foundry is None


def test_instruct_and_guard_models_chat_base_models_complete():
    assert {models.MODELS[n].api for n in ["Llama-3.2-1B-Instruct", "Llama-3.2-3B-Instruct", *GUARD]} == {
        models.Api.CHAT
    }
    assert {models.MODELS[n].api for n in ["Llama-3.2-1B", "Llama-3.2-3B"]} == {models.Api.COMPLETIONS}


def test_llama_33_on_managed_compute_is_an_unconfirmed_offer_of_microsofts_version():
    managed = models.MODELS["Llama-3.3-70B-Instruct"].managed
    assert managed.versions == (4,), "version 9 appears only in third-party templates"
    assert managed.allowed_vm_skus is None and managed.conflict == "llama33-managed-compute"


def test_only_llama_2_has_a_published_allow_list_and_it_is_retired():
    listed = [m.name for m in models.MODELS.values() if m.managed and m.managed.allowed_vm_skus]
    assert listed and all(n.startswith("Llama-2-") for n in listed)
    assert all(models.MODELS[n].managed.lifecycle.stage(AS_OF) is models.Stage.RETIRED for n in listed)


def test_what_sold_by_azure_means_for_each_foundry_llama():
    foundry = {n: m.foundry for n, m in models.MODELS.items() if m.foundry}
    assert {n for n, f in foundry.items() if f.sold_by_azure} == {
        "Llama-3.3-70B-Instruct",
        "Llama-4-Maverick-17B-128E-Instruct-FP8",
    }
    assert not foundry["Llama-4-Scout-17B-16E-Instruct"].sold_by_azure
    assert models.GLOBAL_PROVISIONED in foundry["Llama-3.3-70B-Instruct"].deployment_types
    assert foundry["Llama-4-Maverick-17B-128E-Instruct-FP8"].deployment_types == (models.GLOBAL_STANDARD,)


def test_a_stage_begins_at_its_day():
    life = models.Lifecycle(dt.date(2026, 2, 13), dt.date(2026, 3, 13), dt.date(2026, 6, 13))
    assert life.stage(dt.date(2026, 2, 12)) is models.Stage.GENERALLY_AVAILABLE
    assert life.stage(dt.date(2026, 2, 13)) is models.Stage.LEGACY
    assert life.stage(dt.date(2026, 3, 13)) is models.Stage.DEPRECATED
    assert life.stage(dt.date(2026, 6, 13)) is models.Stage.RETIRED
