"""catalog.marketplace: which subscriptions cannot buy the Marketplace offers some Llama models are sold through."""

import pytest

from catalog import marketplace


@pytest.mark.parametrize(
    ("quota_id", "who"),
    [
        ("FreeTrial_2014-09-01", "a free trial"),
        ("AzureForStudents_2018-01-01", "Azure for Students"),
        ("MSDN_2014-09-01", "Visual Studio"),  # Visual Studio Enterprise / Professional [partners, quota-ids]
        ("CSP_2015-05-01", "Cloud Solution Provider"),  # no third-party models [partners]
        ("CSP_MG_2017-12-01", "Cloud Solution Provider"),
        ("Sponsored_2016-01-01", "Sponsorship"),
    ],
)
def test_offers_that_cannot_buy_are_refused_naming_the_offer(quota_id, who):
    reason = marketplace.refusal(quota_id)
    assert reason is not None and who in reason


@pytest.mark.parametrize(
    "quota_id",
    ["EnterpriseAgreement_2014-09-01", "PayAsYouGo_2014-09-01", "MPN_2014-09-01", "MSDNDevTest_2014-09-01", ""],
)
def test_paid_offers_are_not_refused_by_their_prefix(quota_id):
    # MPN_ and MSDNDevTest_ also cover paid offers: a spending limit is what blocks those (checked apart).
    assert marketplace.refusal(quota_id) is None
