"""`llama-on-azure purge`: after a `pulumi destroy`, purge what Azure keeps soft-deleted under the stack's names."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import IO

from azure.mgmt.cognitiveservices import CognitiveServicesManagementClient
from azure.mgmt.keyvault import KeyVaultManagementClient

from clients.arm import ArmClient
from clients.errors import UserError
from infra.config.stack import ResolvedStack
from infra.kinds import Platform
from tools.preflight import blocked_vault_detail, deleted_vault_location, find_deleted_account, find_deleted_vault

# A key vault purge takes minutes; a Cognitive Services one less.
PURGE_SECONDS = 30 * 60


@dataclass
class Step:
    """One thing left behind: purged by `action`, or, where Azure allows no purge, only explained."""

    subject: str
    detail: str
    action: Callable[[], None] | None = None


class Purge:
    """What a destroyed stack left soft-deleted under its names, and how to get rid of it."""

    def __init__(self, config: ResolvedStack, client: ArmClient, subscription_id: str, stack: str) -> None:
        self.config, self.client, self.subscription_id, self.stack = config, client, subscription_id, stack
        self.names = config.names(config.suffix_for(subscription_id))

    def steps(self) -> list[Step]:
        steps: list[Step] = []
        if self.config.needs(Platform.HUB):
            steps += [*self._key_vault(), self._workspaces()]
        if self.config.needs(Platform.FOUNDRY):
            steps += self._foundry_account()
        return steps

    def _key_vault(self) -> list[Step]:
        name = self.names.key_vault
        vault = find_deleted_vault(self.client, self.subscription_id, name)
        if vault is None:
            return []
        location = deleted_vault_location(vault)
        subject = f"key vault {name} ({location}), soft-deleted"
        if getattr(vault.properties, "purge_protection_enabled", False):
            detail = blocked_vault_detail(vault, self.stack).replace("soft-deleted with purge protection: ", "")
            return [Step(subject, f"cannot be purged: purge protection is on; {detail}")]
        vaults = self.client.mgmt(KeyVaultManagementClient, self.subscription_id).vaults

        def purge() -> None:
            self.client.call(
                f"purge key vault {name}",
                lambda: vaults.begin_purge_deleted(name, location, polling=self.client.polling()).result(),
            )

        return [Step(subject, "purge it (Microsoft.KeyVault/locations/deletedVaults/purge/action)", purge)]

    def _workspaces(self) -> Step:
        names = f"{self.names.hub}, {self.names.project}"
        detail = (
            "Azure has no API to purge a workspace that is already soft-deleted: if `pulumi up` says "
            "'Soft-deleted workspace exists', open Azure Machine Learning in the portal, Recently deleted, select "
            "them and choose Permanently delete; or wait 14 days; or set llama-on-azure:nameSuffix"
        )
        return Step(f"workspaces {names}", detail)

    def _foundry_account(self) -> list[Step]:
        name, region, group = self.names.foundry_account, self.config.region, self.config.resource_group
        account = find_deleted_account(self.client, self.subscription_id, region, group, name)
        if account is None:
            return []
        accounts = self.client.mgmt(CognitiveServicesManagementClient, self.subscription_id).deleted_accounts

        def purge() -> None:
            self.client.call(
                f"purge Foundry resource {name}",
                lambda: accounts.begin_purge(region, group, name, polling=self.client.polling()).result(),
            )

        detail = "purge it (Microsoft.CognitiveServices/locations/resourceGroups/deletedAccounts/delete)"
        return [Step(f"Foundry resource {name} ({region}), soft-deleted", detail, purge)]


def confirm(question: str, assume_yes: bool, stdin: IO[str], stdout: IO[str]) -> bool:
    """--yes answers for CI; a terminal is asked (y/N); anything else is refused rather than guessed."""
    if assume_yes:
        return True
    if not stdin.isatty():
        raise UserError("purge asks before it deletes, and there is no terminal to ask: run it again with --yes")
    stdout.write(f"{question} [y/N] ")
    stdout.flush()
    return stdin.readline().strip().lower() in ("y", "yes")


def run_purge(purge: Purge, assume_yes: bool, stdin: IO[str], stdout: IO[str]) -> int:
    steps = purge.steps()
    actions = [s for s in steps if s.action]
    print(f"Stack {purge.stack}, subscription {purge.subscription_id}:", file=stdout)
    for step in steps:
        print(f"  {step.subject}: {step.detail}", file=stdout)
    if not actions:
        print("Nothing to purge.", file=stdout)
        return 0
    if not confirm(f"Purge {len(actions)} soft-deleted resource(s)? This cannot be undone.", assume_yes, stdin, stdout):
        print("Nothing purged.", file=stdout)
        return 0
    for step in actions:
        step.action()  # type: ignore[misc]
        print(f"purged {step.subject.removesuffix(', soft-deleted')}", file=stdout)
    return 0
