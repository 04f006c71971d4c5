"""`monitoring` and `keyVaultSecrets`: what each resource can send, alert bounds, secret webhooks, where keys go."""

import json
from typing import Any

import pytest

from infra.config.parse import config_from_engine
from infra.config.types import ENCRYPTED, NAMESPACE, ConfigError
from tests.support.stacks import foundry, managed, serverless, stack_config
from tools import engine

HOOK = "https://hooks.example.com/services/T0/B0/s3cr3t-t0ken"
WORKSPACE = (
    "/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg-observability/providers/"
    "Microsoft.OperationalInsights/workspaces/log-central"
)
VAULT = (
    "/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg-apps/providers/Microsoft.KeyVault/"
    "vaults/kv-apps-keys"
)
FOUNDRY_ONLY = {"deployments": [foundry("maverick")]}
MONITORING = f"{NAMESPACE}:monitoring"


def outcome(secret: tuple[str, ...] = (), **keys: Any) -> tuple[list[str], list[str]]:
    """(errors, warnings) of a crafted stack as the engine hands it over; `secret` keys are marked secret."""
    values, secret_keys = engine.stack_config_values(stack_config(**keys))
    try:
        stack = config_from_engine(values, {*secret_keys, *secret}, "dev")
    except ConfigError as exc:
        return exc.problems, []
    return [], list(stack.warnings)


def errors(**keys: Any) -> list[str]:
    return outcome(**keys)[0]


def the_error(fragment: str, **keys: Any) -> str:
    found = [e for e in errors(**keys) if fragment in e]
    assert len(found) == 1, errors(**keys)
    return found[0]


def test_the_defaults_send_everything_and_alert():
    assert outcome()[0] == []
    values, secret = engine.stack_config_values(stack_config())
    monitoring = config_from_engine(values, set(secret), "dev").config.monitoring
    assert monitoring.diagnostics and monitoring.metrics and monitoring.alerts.enabled
    assert monitoring.workspace_id is None and monitoring.logs == {}


# --- Categories and groups: what the type has, or a clear refusal naming what it has --------------------------------


def test_a_category_the_type_lacks_is_refused_naming_the_key_the_value_and_what_is_allowed():
    message = the_error("'Bogus'", monitoring={"logs": {"keyVault": ["Bogus"]}})
    assert message.startswith(f"{NAMESPACE}:monitoring.logs.keyVault[0]: 'Bogus' is not a log category")
    assert "of Microsoft.KeyVault/vaults" in message
    assert "allowed: allLogs, audit, AuditEvent, AzurePolicyEvaluationDetails" in message and "2024-01-10" in message


def test_online_endpoints_have_no_audit_group_and_names_are_case_sensitive():
    message = the_error("'audit'", monitoring={"logs": {"onlineEndpoints": ["audit"]}}, deployments=[managed("gpu")])
    assert "allowed: allLogs, AmlOnlineEndpointConsoleLog" in message and ", audit" not in message
    hint = the_error("'alllogs'", monitoring={"logs": {"foundry": ["alllogs"]}})
    assert "case matters: did you mean 'allLogs'?" in hint


def test_groups_and_categories_together_and_twice_are_refused_and_a_valid_choice_is_taken():
    mixed = the_error("together", monitoring={"logs": {"foundry": ["audit", "RequestResponse"]}})
    assert mixed.startswith(f"{NAMESPACE}:monitoring.logs.foundry: category groups (audit) and categories together")
    assert "listed twice" in the_error("twice", monitoring={"logs": {"hub": ["allLogs", "allLogs"]}})
    assert errors(monitoring={"logs": {"foundry": ["RequestResponse", "Audit"], "storage": ["StorageWrite"]}}) == []


def test_a_resource_the_stack_does_not_have_or_that_has_no_settings_is_refused():
    registry = the_error("containerRegistry", monitoring={"logs": {"containerRegistry": ["allLogs"]}})
    assert "the stack has no containerRegistry; its resources with diagnostic settings: foundry, hub" in registry
    endpoints = the_error("onlineEndpoints", monitoring={"logs": {"onlineEndpoints": ["allLogs"]}})
    assert "the stack has no onlineEndpoints" in endpoints
    unknown = the_error("'serverless'", monitoring={"logs": {"serverless": ["allLogs"]}})
    assert "is not a resource with diagnostic settings; allowed: foundry, hub, project, onlineEndpoints" in unknown
    assert errors(monitoring={"logs": {"containerRegistry": ["allLogs"]}}, hub={"containerRegistry": True}) == []


def test_a_setting_that_would_send_nothing_is_refused():
    message = the_error("send nothing", monitoring={"logs": {"keyVault": []}, "metrics": False})
    assert message.startswith(f"{NAMESPACE}:monitoring.logs.keyVault: no logs, and")
    assert errors(monitoring={"logs": {"keyVault": []}}) == [], "metrics only"


# --- Retention and the workspace ---------------------------------------------------------------------------------


def test_a_retention_the_stack_does_not_own_is_refused():
    hub = the_error("logRetentionDays", monitoring={"logRetentionDays": 60})
    assert "the stack's hub has its own workspace, which keeps llama-on-azure:hub.logRetentionDays" in hub
    existing = the_error(
        "logRetentionDays", monitoring={"logRetentionDays": 60, "workspaceId": WORKSPACE}, **FOUNDRY_ONLY
    )
    assert "names an existing workspace, which keeps its own retention" in existing
    assert errors(monitoring={"logRetentionDays": 60}, **FOUNDRY_ONLY) == [], "the workspace the stack creates"
    out_of_range = the_error("logRetentionDays", monitoring={"logRetentionDays": 7}, **FOUNDRY_ONLY)
    assert out_of_range == f"{NAMESPACE}:monitoring.logRetentionDays: 7 is not allowed; at least 30"


def test_an_existing_workspace_must_be_a_workspace_id_and_diagnostics_off_takes_no_workspace_keys():
    bad = the_error("workspaceId", monitoring={"workspaceId": "log-central"})
    assert "is not allowed: a Log Analytics workspace's resource id" in bad
    assert errors(monitoring={"workspaceId": WORKSPACE}) == []
    off = errors(monitoring={"diagnostics": False, "workspaceId": WORKSPACE, "logs": {"hub": ["audit"]}})
    assert off == [
        f"{NAMESPACE}:monitoring.logs: only with diagnostics; {NAMESPACE}:monitoring.diagnostics is false",
        f"{NAMESPACE}:monitoring.workspaceId: only with diagnostics; {NAMESPACE}:monitoring.diagnostics is false",
    ]
    assert errors(monitoring={"diagnostics": False}) == []


# --- Alerts and the action group ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("alerts", "expected"),
    [
        ({"emails": ["team at example.com"]}, "monitoring.alerts.emails[0]: 'team at example.com' is not an e-mail"),
        ({"emails": ["a@example.com", "A@example.com"]}, "emails[1]: 'A@example.com' is listed twice"),
        ({"utilization": {"threshold": 150}}, "monitoring.alerts.utilization.threshold: 150 is not allowed; at most"),
        ({"latency": {"threshold": 0}}, "monitoring.alerts.latency.threshold: 0 is not allowed; more than 0"),
        ({"throttling": {"windowMinutes": 7}}, "windowMinutes: 7 is not allowed; 1, 5, 15, 30, 60, 360, 720 or 1440"),
        ({"serverErrors": {"severity": 5}}, "monitoring.alerts.serverErrors.severity: 5 is not allowed; at most 4"),
        ({"throtling": {"threshold": 1}}, "monitoring.alerts.throtling: unknown key"),
        ({"enabled": False, "emails": ["a@example.com"]}, "monitoring.alerts.emails: only with alerts"),
        ({"webhooks": {"on call": ENCRYPTED}}, "'on call' is not allowed: 1-60 letters, digits"),
    ],
)
def test_bad_alert_settings_name_the_key_the_value_and_what_is_allowed(alerts, expected):
    found = errors(secret=(MONITORING,), monitoring={"alerts": alerts})
    assert any(expected in e for e in found), found


def test_an_alert_no_deployment_gets_changes_nothing_and_says_so():
    _, warnings = outcome(monitoring={"alerts": {"capacity": {"threshold": 50}}})
    assert any("monitoring.alerts.capacity: no deployment of this stack gets it (kind managed)" in w for w in warnings)
    _, managed_warnings = outcome(monitoring={"alerts": {"capacity": {}}}, deployments=[managed("gpu")])
    assert not any("capacity" in w for w in managed_warnings)


def test_serverless_endpoints_are_said_to_have_nothing_to_monitor():
    _, warnings = outcome(deployments=[serverless("chat")])
    assert any("serverless endpoint(s) 'chat' publish no Azure Monitor metrics or logs" in w for w in warnings)
    off = {"diagnostics": False, "alerts": {"enabled": False}}
    assert not any("publish no" in w for w in outcome(deployments=[serverless("chat")], monitoring=off)[1])


# --- Webhook URLs: credentials, encrypted in the stack file, never shown ---------------------------------------------


def test_a_webhook_url_in_plain_text_is_refused_with_the_command_and_never_shown():
    (message,) = errors(monitoring={"alerts": {"webhooks": {"oncall": HOOK}}})
    assert message.startswith(f"{NAMESPACE}:monitoring.alerts.webhooks.oncall: a webhook URL is a credential")
    assert "pulumi config set --secret --path 'llama-on-azure:monitoring.alerts.webhooks.oncall' <url>" in message
    assert HOOK not in message and "s3cr3t" not in message


def test_an_encrypted_webhook_is_taken_offline_and_decrypted_at_pulumi_up():
    offline, notes = outcome(secret=(MONITORING,), monitoring={"alerts": {"webhooks": {"oncall": ENCRYPTED}}})
    assert offline == [] and any("encrypted values (secure:) are not checked offline" in n for n in notes)
    decrypted, _ = outcome(secret=(MONITORING,), monitoring={"alerts": {"webhooks": {"oncall": HOOK}}})
    assert decrypted == []


def test_a_plain_webhook_url_beside_an_encrypted_one_is_refused_offline():
    # One encrypted leaf makes Pulumi keep the whole key secret: the plain one beside it is still in plain text.
    hooks = {"oncall": HOOK, "backup": ENCRYPTED}
    (message,) = errors(secret=(MONITORING,), monitoring={"alerts": {"webhooks": hooks}})
    assert message.startswith(f"{NAMESPACE}:monitoring.alerts.webhooks.oncall: a webhook URL is a credential")
    assert "s3cr3t" not in message
    decrypted, _ = outcome(secret=(MONITORING,), monitoring={"alerts": {"webhooks": {"oncall": HOOK, "backup": HOOK}}})
    assert decrypted == [], "at pulumi up every leaf comes decrypted: only the key's being secret tells"


@pytest.mark.parametrize("shape", [{"url": HOOK}, [HOOK], {"deep": [{"url": HOOK}]}, 12345, True])
@pytest.mark.parametrize("secret", [(), (MONITORING,)], ids=["plain", "decrypted at pulumi up"])
def test_a_webhook_of_any_other_shape_is_refused_without_quoting_it(shape, secret):
    problems = errors(secret=secret, monitoring={"alerts": {"webhooks": {"oncall": shape}}})
    shape_error = [p for p in problems if "an https URL as text (not shown: a webhook URL is a credential)" in p]
    assert shape_error and all(p.startswith(f"{NAMESPACE}:monitoring.alerts.webhooks.oncall: ") for p in problems)
    assert not any("s3cr3t" in p or "12345" in p or "True" in p for p in problems), problems


def test_only_webhook_urls_may_be_encrypted_and_a_bad_one_is_not_shown():
    other = errors(secret=(MONITORING,), monitoring={"alerts": {"emails": [ENCRYPTED]}})
    assert any("monitoring.alerts.emails[0]: encrypted, but only webhook URLs may be" in e for e in other), other
    values, secret = engine.stack_config_values(stack_config())
    values[MONITORING] = ENCRYPTED  # the whole section as one secure: value
    with pytest.raises(ConfigError) as refused:
        config_from_engine(values, {*secret, MONITORING}, "dev")
    assert any("encrypted as a whole; only its webhook URLs may be" in p for p in refused.value.problems)
    plain = "http://hooks.example.com/s3cr3t"
    (bad,) = errors(secret=(MONITORING,), monitoring={"alerts": {"webhooks": {"oncall": plain}}})
    assert "oncall: not an https URL" in bad and "s3cr3t" not in bad and "a webhook URL is a credential" in bad


def test_the_engine_hands_an_encrypted_webhook_as_json_with_the_marker():
    values, _ = engine.stack_config_values(stack_config(monitoring={"alerts": {"webhooks": {"oncall": ENCRYPTED}}}))
    assert json.loads(values[MONITORING])["alerts"]["webhooks"]["oncall"] == ENCRYPTED


# --- Keys in Key Vault -------------------------------------------------------------------------------------------


def test_key_vault_secrets_need_a_vault_and_being_on():
    assert errors(keyVaultSecrets={"enabled": True}) == [], "the hub's vault"
    message = the_error("vaultId", keyVaultSecrets={"enabled": True}, **FOUNDRY_ONLY)
    assert "required without a hub (the stack has no vault of its own)" in message
    assert errors(keyVaultSecrets={"enabled": True, "vaultId": VAULT}, **FOUNDRY_ONLY) == []
    off = errors(keyVaultSecrets={"vaultId": VAULT, "readers": ["aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"]})
    assert off == [
        f"{NAMESPACE}:keyVaultSecrets.readers: only with {NAMESPACE}:keyVaultSecrets.enabled: true",
        f"{NAMESPACE}:keyVaultSecrets.vaultId: only with {NAMESPACE}:keyVaultSecrets.enabled: true",
    ]
    bad = the_error("vaultId", keyVaultSecrets={"enabled": True, "vaultId": WORKSPACE})
    assert "is not allowed: a key vault's resource id" in bad
    twice = ["aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee", "AAAAAAAA-BBBB-CCCC-DDDD-EEEEEEEEEEEE"]
    assert "is listed twice" in the_error("readers[1]", keyVaultSecrets={"enabled": True, "readers": twice})


def test_a_stack_whose_endpoints_have_no_key_stores_nothing_and_says_so():
    config = {"keyVaultSecrets": {"enabled": True, "vaultId": VAULT}, "foundry": {"localAuth": False}, **FOUNDRY_ONLY}
    errors_, warnings = outcome(**config)
    assert errors_ == [] and any("no endpoint of the stack has a key" in w for w in warnings)
    assert not any("has a key" in w for w in outcome(**{**config, "foundry": {"localAuth": True}})[1])


def test_every_mistake_at_once():
    found = errors(
        monitoring={"logs": {"keyVault": ["Bogus"], "containerRegistry": ["allLogs"]}, "logRetentionDays": 60},
        keyVaultSecrets={"vaultId": VAULT},
    )
    assert len(found) == 4 and all(e.startswith(f"{NAMESPACE}:") for e in found), found


def test_a_field_error_in_a_section_never_hides_that_sections_rule_errors():
    # Two field errors (a reader that is no GUID, a retention under 30 days) and two rule errors (a log category
    # the Foundry resource lacks, no vault for a stack without a hub): four mistakes, four lines.
    found = errors(
        **FOUNDRY_ONLY,
        monitoring={"logRetentionDays": 5, "logs": {"foundry": ["Nope"]}},
        keyVaultSecrets={"enabled": True, "readers": [{"id": "not-a-guid", "type": "User"}]},
    )
    assert len(found) == 4, found
    for key in ("keyVaultSecrets.readers[0].id", "monitoring.logRetentionDays", "monitoring.logs.foundry[0]"):
        assert sum(key in line for line in found) == 1, (key, found)
    assert sum("keyVaultSecrets.vaultId: required without a hub" in line for line in found) == 1, found


def test_a_bad_e_mail_never_hides_a_log_category_the_type_lacks():
    found = errors(**FOUNDRY_ONLY, monitoring={"alerts": {"emails": ["not-an-email"]}, "logs": {"foundry": ["Nope"]}})
    assert len(found) == 2, found
    assert any("monitoring.alerts.emails[0]" in line for line in found)
    assert any("monitoring.logs.foundry[0]: 'Nope'" in line for line in found)


@pytest.mark.parametrize(
    "monitoring",
    [
        {"alerts": {"webhooks": [HOOK]}},
        {"alerts": {"webhooks": HOOK}},
        {"alerts": HOOK},
        HOOK,
        [{"alerts": {"webhooks": {"oncall": HOOK}}}],
        {"alerts": {"webhooks": {HOOK: ENCRYPTED}}},
        {"alerts": {"webhooks": {HOOK: HOOK}}},
    ],
    ids=[
        "webhooks a list",
        "webhooks a URL",
        "alerts a URL",
        "monitoring a URL",
        "monitoring a list",
        "URL as a name",
        "URL as a name and value",
    ],
)
@pytest.mark.parametrize("secret", [(), (MONITORING,)], ids=["plain", "decrypted at pulumi up"])
def test_a_webhook_url_in_the_wrong_place_is_refused_without_quoting_it(monitoring, secret):
    problems = errors(secret=secret, monitoring=monitoring)
    assert problems and all(p.startswith(f"{NAMESPACE}:monitoring") for p in problems), problems
    assert not any("s3cr3t" in p or "hooks.example.com" in p for p in problems), problems
