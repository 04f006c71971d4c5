"""catalog.vm_skus: the VM sizes, their quota families as the SKU list names them, and the quota a deployment takes."""

import pytest

from catalog import vm_skus


def test_the_h100_nd_size_counts_against_its_real_quota_family():
    # The managed online endpoints SKU list gives standardNDv5H100Family, not standardNDSH100v5Family [vm-skus].
    assert vm_skus.VM_SKUS["Standard_ND96isr_H100_v5"].quota_family == "standardNDv5H100Family"
    assert vm_skus.VM_SKUS["Standard_ND96is_H100_v5"].quota_family == "standardNDv5H100Family"


@pytest.mark.parametrize(
    ("sku", "instances", "vcpus"),
    [
        ("Standard_NC12s_v3", 1, 24),  # ceil(1.2) = 2 instances x 12 cores, not ceil(14.4) = 15
        ("Standard_NC4as_T4_v3", 10, 48),  # Microsoft's example: 10 x DS3_v2-sized (4 cores) -> 12 x 4
        ("Standard_NC8as_T4_v3", 2, 24),  # ceil(2.4) = 3 x 8
        ("Standard_NC96ads_A100_v4", 3, 288),  # A100: no reserve
        ("Standard_ND40rs_v2", 2, 80),  # ND: no reserve
    ],
)
def test_the_quota_reserve_is_whole_instances(sku, instances, vcpus):
    # ceil(1.2 * number of instances) * number of cores [ml-quota-reserve].
    assert vm_skus.VM_SKUS[sku].quota_vcpus(instances) == vcpus


def test_family_names_compare_as_azure_and_microsofts_tables_print_them():
    assert vm_skus.family_key("standard NCASv3_T4 Family") == vm_skus.family_key("standardNCASv3_T4Family")
    assert vm_skus.family_key("standardNCADSH100v5Family") == vm_skus.family_key("standardNCadsH100v5Family")
    assert vm_skus.family_key("standardNDSv2Family") != vm_skus.family_key("standardNDv5H100Family")
