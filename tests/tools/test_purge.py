"""`llama-on-azure purge` against the local ARM stand-in: lists, asks, purges what Azure allows, explains the rest."""

import io
import logging

import pytest
import yaml

from clients.arm import ARM_ENDPOINT_VARIABLE
from infra import naming
from tests.support.arm_server import ArmServer, FakeCredential
from tools import cli

SUB = "11111111-1111-1111-1111-111111111111"
DEV = naming.unique_suffix(SUB, "rg-llama-dev", "llama", "dev")
VAULT, ACCOUNT = f"kv-llama-dev-{DEV}", f"aif-llama-dev-{DEV}"


class Terminal(io.StringIO):
    """Standard input that is a terminal, with the user's answer typed in."""

    def isatty(self) -> bool:
        return True


@pytest.fixture
def arm(monkeypatch):
    with ArmServer() as server:
        server.state.polls_before_done = 0  # done at the first poll: no real wait between polls
        monkeypatch.setenv(ARM_ENDPOINT_VARIABLE, server.url)
        yield server


def purge(capsys, monkeypatch, *args: str, stdin: io.StringIO | None = None) -> tuple[int, str, str]:
    monkeypatch.setattr("sys.stdin", stdin or io.StringIO(""))
    code = cli.main(["purge", "--stack", "dev", "--subscription-id", SUB, *args], credential=FakeCredential())
    out, err = capsys.readouterr()
    return code, out, err


def writes(arm: ArmServer) -> list[tuple[str, str]]:
    return [(r.method, r.path) for r in arm.state.requests if r.method in ("POST", "DELETE", "PUT")]


def left_behind(arm: ArmServer, vault_protected: bool = False) -> None:
    arm.state.add_deleted_vault(SUB, VAULT, "eastus2", purge_protection=vault_protected)
    arm.state.add_deleted_account(SUB, "rg-llama-dev", ACCOUNT, "eastus2")
    arm.state.add_deleted_vault(SUB, "kv-someone-else", "eastus2", purge_protection=False)


def test_with_yes_it_purges_the_vault_and_the_foundry_resource(arm, project, capsys, monkeypatch):
    left_behind(arm)
    code, out, err = purge(capsys, monkeypatch, "--yes")
    assert code == 0, err
    assert set(arm.state.deleted_vaults) == {"kv-someone-else"} and arm.state.deleted_accounts == {}
    assert f"purged key vault {VAULT} (eastus2)" in out and f"purged Foundry resource {ACCOUNT} (eastus2)" in out
    assert writes(arm) == [
        ("POST", f"/subscriptions/{SUB}/providers/Microsoft.KeyVault/locations/eastus2/deletedVaults/{VAULT}/purge"),
        (
            "DELETE",
            f"/subscriptions/{SUB}/providers/Microsoft.CognitiveServices/locations/eastus2/resourceGroups/"
            f"rg-llama-dev/deletedAccounts/{ACCOUNT}",
        ),
    ]


def test_it_lists_first_and_says_what_azure_cannot_purge(arm, project, capsys, monkeypatch):
    left_behind(arm)
    code, out, _ = purge(capsys, monkeypatch, "--yes")
    assert code == 0
    listing = out.split("purged")[0]
    assert f"key vault {VAULT} (eastus2), soft-deleted: purge it" in listing
    assert f"workspaces hub-llama-dev-{DEV}, proj-llama-dev-{DEV}: Azure has no API to purge" in listing
    assert "Recently deleted" in listing and "Permanently delete" in listing


def test_a_purge_protected_vault_is_left_with_the_date_and_the_way_out(arm, project, capsys, monkeypatch):
    arm.state.add_deleted_vault(SUB, VAULT, "eastus2", purge_protection=True)
    code, out, _ = purge(capsys, monkeypatch, "--yes")
    assert code == 0 and "Nothing to purge." in out
    assert "cannot be purged: purge protection is on; the name is blocked until 2027-02-18" in out
    assert "llama-on-azure:nameSuffix" in out and writes(arm) == []


def test_nothing_left_behind_is_nothing_to_do(arm, project, capsys, monkeypatch):
    code, out, _ = purge(capsys, monkeypatch)
    assert code == 0 and "Nothing to purge." in out and writes(arm) == []


def test_without_a_terminal_and_without_yes_it_refuses(arm, project, capsys, monkeypatch):
    left_behind(arm)
    code, _, err = purge(capsys, monkeypatch)
    assert code == 1 and err.count("\n") == 1 and "run it again with --yes" in err
    assert writes(arm) == [] and VAULT in arm.state.deleted_vaults


@pytest.mark.parametrize(("answer", "purged"), [("y\n", True), ("yes\n", True), ("n\n", False), ("\n", False)])
def test_on_a_terminal_it_asks_and_does_what_the_answer_says(arm, project, capsys, monkeypatch, answer, purged):
    left_behind(arm)
    code, out, _ = purge(capsys, monkeypatch, stdin=Terminal(answer))
    assert code == 0 and "Purge 2 soft-deleted resource(s)? This cannot be undone. [y/N]" in out
    assert (arm.state.deleted_accounts == {}) is purged
    assert ("Nothing purged." in out) is not purged


def test_a_foundry_only_stack_says_nothing_about_workspaces(arm, project, capsys, monkeypatch):
    config = yaml.safe_load((project / "Pulumi.dev.yaml").read_text())
    deployments = config["config"]["llama-on-azure:deployments"]
    config["config"]["llama-on-azure:deployments"] = [d for d in deployments if d["kind"] == "foundry"]
    (project / "Pulumi.dev.yaml").write_text(yaml.safe_dump(config))
    left_behind(arm)
    code, out, _ = purge(capsys, monkeypatch, "--yes")
    assert code == 0 and "workspaces" not in out and VAULT in arm.state.deleted_vaults, (
        "no hub, so no key vault of this stack"
    )
    assert arm.state.deleted_accounts == {}


def test_azure_refusing_a_purge_is_one_line(arm, project, capsys, monkeypatch):
    left_behind(arm)
    # The list says the vault may be purged; Azure then refuses the purge itself.
    monkeypatch.setattr(
        "tests.support.arm_server._Handler._deleted_vault",
        lambda self, *args: self._error(409, "MethodNotAllowed", "Operation 'DeletedVaultPurge' is not allowed."),
    )
    code, _, err = purge(capsys, monkeypatch, "--yes")
    assert code == 1 and err.count("\n") == 1 and "is not allowed." in err and "HTTP 409" in err
    assert ACCOUNT in arm.state.deleted_accounts, "it stops at the first failure"


def test_a_bad_subscription_id_is_one_line(arm, project, capsys, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    code = cli.main(["purge", "--stack", "dev", "--subscription-id", "nope", "--yes"], credential=FakeCredential())
    _, err = capsys.readouterr()
    assert code == 1 and "--subscription-id 'nope' is not a subscription id" in err and arm.state.requests == []


S = f"/subscriptions/{SUB}/providers"
ANSWERS = {
    "empty": (200, {}, b""),
    "not JSON": (200, {"Content-Type": "application/json"}, b"<html>"),
    "a redirect without a body": (302, {}, b""),
    "items that are not vaults": (200, {}, b'{"value": ["x", 1, null]}'),
    "a vault without properties": (200, {}, b'{"value": [{"name": "%s", "properties": null}]}' % VAULT.encode()),
}
CALLS = {
    "list deleted vaults": f"{S}/Microsoft.KeyVault/deletedVaults",
    "read the deleted account": f"{S}/Microsoft.CognitiveServices/locations/eastus2/resourceGroups/rg-llama-dev/"
    f"deletedAccounts/{ACCOUNT}",
    "purge the vault": f"{S}/Microsoft.KeyVault/locations/eastus2/deletedVaults/{VAULT}/purge",
}


@pytest.mark.parametrize("answer", list(ANSWERS))
@pytest.mark.parametrize("call", list(CALLS))
def test_any_arm_answer_to_any_call_is_one_error_line(arm, project, capsys, monkeypatch, caplog, call, answer):
    if call == "purge the vault" and answer.startswith(("items", "a vault", "empty")):
        return  # a purge answers no list, and an empty 200 is its documented "done"
    caplog.set_level(logging.DEBUG)
    left_behind(arm)
    arm.state.broken[CALLS[call]] = ANSWERS[answer]
    code, _, err = purge(capsys, monkeypatch, "--yes")
    assert code == 1 and err.startswith("error: Azure Resource Manager: ") and err.count("\n") == 1, err
    assert not [
        r for r in caplog.records if r.exc_info or (r.levelno >= logging.WARNING and r.name.startswith("azure"))
    ]
