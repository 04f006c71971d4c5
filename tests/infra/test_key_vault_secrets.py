"""`keyVaultSecrets`: each endpoint key as a Key Vault secret its readers may get, its URI exported, the key never
in plain text; `env` prints the URI in the key's place."""

import json
from typing import Any

import pytest

from catalog import rbac
from tests.support.outputs import plain_parts, unwrapped
from tests.support.rest_oracle import check_resource
from tests.support.stacks import foundry, managed, run, serverless, stack_config
from tools.engine import is_secret
from tools.env import build_env

SECRET = "azure-native:keyvault:Secret"
ASSIGNMENT = "azure-native:authorization:RoleAssignment"
APP = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
VAULT = (
    "/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg-shared/providers/Microsoft.KeyVault/"
    "vaults/kv-shared-apps"
)
# A key endpoint (serverless), a Foundry resource signing in with Entra ID only, a managed endpoint on tokens.
KEYLESS = {"foundry": {"localAuth": False}}
MIXED = [serverless("chat"), foundry("maverick"), managed("big", authMode="AADToken")]


def ok(config: dict[str, Any]):
    result = run("dev", config)
    assert result.error is None, result.error
    return result


@pytest.fixture(scope="module")
def stored():
    readers = [{"id": APP, "type": "ServicePrincipal"}]
    return ok(stack_config(deployments=MIXED, keyVaultSecrets={"enabled": True, "readers": readers}, **KEYLESS))


def test_only_an_endpoint_with_a_key_gets_a_secret_in_the_hubs_vault(stored):
    (secret,) = stored.by_type(SECRET)
    vault = stored.one("azure-native:keyvault:Vault")
    assert secret.inputs["secretName"] == "llama-dev-chat-key"
    assert secret.inputs["vaultName"] == vault.inputs["vaultName"]
    uri = f"https://{vault.inputs['vaultName']}.vault.azure.net/secrets/llama-dev-chat-key"
    assert stored.exports["endpointKeySecrets"] == {"chat": uri}, "Entra ID and token endpoints have no key to store"
    assert check_resource(SECRET, secret.inputs) == []


def test_the_key_is_secret_in_state_and_its_uri_is_not(stored):
    (secret,) = stored.by_type(SECRET)
    key = unwrapped(stored.exports["endpointKeys"])["chat"]
    assert is_secret(secret.inputs["properties"]) and unwrapped(secret.inputs["properties"])["value"] == key
    for reg in stored.registrations:
        for part in (reg.inputs, reg.outputs):
            assert key not in json.dumps(plain_parts(part)), f"{reg.type} {reg.name}"
    assert not is_secret(stored.exports["endpointKeySecrets"]), "a reference an app's configuration may hold"


def test_each_reader_may_get_that_secret_alone(stored):
    (secret,) = stored.by_type(SECRET)
    (reader,) = [r for r in stored.by_type(ASSIGNMENT) if r.inputs["scope"] == secret.id]
    assert reader.inputs["principalId"] == APP and reader.inputs["principalType"] == "ServicePrincipal"
    assert reader.inputs["roleDefinitionId"].endswith(rbac.KEY_VAULT_SECRETS_USER.id)


def test_env_prints_the_secret_uri_in_place_of_the_key(stored):
    outputs = unwrapped(stored.exports)
    env = {e.name: e.fields for e in build_env(outputs, show_secrets=False).endpoints}
    assert env["chat"]["API_KEY_SECRET_URI"] == stored.exports["endpointKeySecrets"]["chat"]
    assert "API_KEY" not in env["chat"] and outputs["endpointKeys"]["chat"] not in json.dumps(env)
    assert "API_KEY_SECRET_URI" not in env["maverick"], "no key: no reference"


def test_a_named_vault_takes_the_keys_of_a_foundry_only_stack():
    config = stack_config(deployments=[foundry("maverick")], keyVaultSecrets={"enabled": True, "vaultId": VAULT})
    result = ok(config)
    assert not result.by_type("azure-native:keyvault:Vault"), "no hub: the stack creates no vault"
    (secret,) = result.by_type(SECRET)
    assert (secret.inputs["vaultName"], secret.inputs["resourceGroupName"]) == ("kv-shared-apps", "rg-shared")
    uri = "https://kv-shared-apps.vault.azure.net/secrets/llama-dev-maverick-key"
    assert result.exports["endpointKeySecrets"] == {"maverick": uri}


def test_off_by_default_no_secret_and_no_export():
    result = ok(stack_config())
    assert not result.by_type(SECRET) and "endpointKeySecrets" not in result.exports
