"""VM sizes for managed online deployments: vCPUs, GPUs, GPU memory and the quota family each counts against."""

from dataclasses import dataclass
from math import ceil


@dataclass(frozen=True)
class VmSku:
    """A VM size for managed online deployments [vm-skus]."""

    name: str
    vcpus: int
    gpus: int
    gpu: str
    gpu_memory_gb: int
    """Memory of one GPU."""
    quota_family: str
    """The vCPU quota family as the Machine Learning usages API names it; the SKU list prints some with spaces and
    other capitals (`standard NCASv3_T4 Family`), so names are compared by `family_key`."""

    @property
    def total_gpu_memory_gb(self) -> int:
        return self.gpus * self.gpu_memory_gb

    @property
    def upgrade_reserve(self) -> bool:
        # Managed compute keeps 20% extra quota for upgrades, except on the sizes the SKU list marks "Skip 20%
        # reservation": the A100, H100 and ND sizes [vm-skus, ml-quota-reserve].
        return self.gpu not in ("A100", "H100") and not self.name.startswith("Standard_ND")

    def quota_vcpus(self, instances: int) -> int:
        """vCPU quota a deployment of `instances` instances takes: whole instances, the reserve rounded up to one
        more instance, `ceil(1.2 * instances) * cores` [ml-quota-reserve]."""
        return (ceil(1.2 * instances) if self.upgrade_reserve else instances) * self.vcpus


def family_key(name: str) -> str:
    """A quota family name compared the way Azure's answers and Microsoft's tables disagree on: case and spaces."""
    return name.replace(" ", "").lower()


def vcpu_quota(deployments: list[tuple[VmSku, int]]) -> dict[str, int]:
    """vCPUs per VM quota family that (VM SKU, instance count) pairs need, the upgrade reserve included."""
    need: dict[str, int] = {}
    for sku, instances in deployments:
        need[sku.quota_family] = need.get(sku.quota_family, 0) + sku.quota_vcpus(instances)
    return need


def _v(name: str, vcpus: int, gpus: int, gpu: str, mem: int, family: str) -> VmSku:
    return VmSku(name, vcpus, gpus, gpu, mem, family)


VM_SKUS: dict[str, VmSku] = {
    s.name: s
    for s in (
        _v("Standard_NC4as_T4_v3", 4, 1, "T4", 16, "standardNCASv3_T4Family"),
        _v("Standard_NC8as_T4_v3", 8, 1, "T4", 16, "standardNCASv3_T4Family"),
        _v("Standard_NC16as_T4_v3", 16, 1, "T4", 16, "standardNCASv3_T4Family"),
        _v("Standard_NC64as_T4_v3", 64, 4, "T4", 16, "standardNCASv3_T4Family"),
        _v("Standard_NC6s_v3", 6, 1, "V100", 16, "standardNCSv3Family"),
        _v("Standard_NC12s_v3", 12, 2, "V100", 16, "standardNCSv3Family"),
        _v("Standard_NC24s_v3", 24, 4, "V100", 16, "standardNCSv3Family"),
        # 32 GB per GPU is not stated by the NDv2 size page (its accelerator row reads "8"): the GPU memory rule
        # reads it from here, the registry's allow-list decides.
        _v("Standard_ND40rs_v2", 40, 8, "V100", 32, "standardNDSv2Family"),
        _v("Standard_NC24ads_A100_v4", 24, 1, "A100", 80, "standardNCADSA100v4Family"),
        _v("Standard_NC48ads_A100_v4", 48, 2, "A100", 80, "standardNCADSA100v4Family"),
        _v("Standard_NC96ads_A100_v4", 96, 4, "A100", 80, "standardNCADSA100v4Family"),
        _v("Standard_ND96asr_v4", 96, 8, "A100", 40, "standardNDASv4_A100Family"),
        _v("Standard_ND96amsr_A100_v4", 96, 8, "A100", 80, "standardNDAMSv4_A100Family"),
        _v("Standard_NC40ads_H100_v5", 40, 1, "H100", 94, "standardNCADSH100v5Family"),
        _v("Standard_NC80adis_H100_v5", 80, 2, "H100", 94, "standardNCADSH100v5Family"),
        _v("Standard_ND96is_H100_v5", 96, 8, "H100", 80, "standardNDv5H100Family"),
        _v("Standard_ND96isr_H100_v5", 96, 8, "H100", 80, "standardNDv5H100Family"),
        # CPU sizes, listed so that choosing one gets "no GPU" rather than "unknown SKU".
        _v("Standard_F4s_v2", 4, 0, "", 0, "standardFSv2Family"),
        _v("Standard_DS3_v2", 4, 0, "", 0, "standardDSv2Family"),
        _v("Standard_E4s_v3", 4, 0, "", 0, "standardESv3Family"),
    )
}
GPU_VM_SKUS: tuple[str, ...] = tuple(s.name for s in VM_SKUS.values() if s.gpus)
