"""The component package's provider: the language host runs this folder to serve the components to any language."""

import sys
from importlib import metadata
from pathlib import Path

if __name__ == "__main__":
    # The host runs `python <this folder> <engine address>`, so sys.path[0] is this folder. The repository root
    # takes its place: `components.*` is then one package, as in the program, and `catalog` never a second copy.
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

from pulumi.provider.experimental import component_provider_host

from components.access import Access
from components.action_group import ActionGroup
from components.alerts import MetricAlerts
from components.budget import Budget
from components.content_filter import ContentFilterPolicy
from components.diagnostics import DiagnosticSettings
from components.foundry_project import FoundryProject
from components.foundry_resource import FoundryResource
from components.hub import AiHub
from components.key_vault_secret import KeyVaultSecret
from components.log_analytics import LogAnalyticsWorkspace
from components.model_deployment import FoundryModelDeployment
from components.model_subscription import ModelSubscription
from components.options import PACKAGE
from components.private_endpoint import PrivateEndpoint
from components.private_network import PrivateNetwork
from components.project import AiProject
from components.serverless_endpoint import ServerlessEndpoint

COMPONENTS = [
    AiHub,
    AiProject,
    ModelSubscription,
    ServerlessEndpoint,
    FoundryResource,
    FoundryProject,
    ContentFilterPolicy,
    FoundryModelDeployment,
    Access,
    Budget,
    LogAnalyticsWorkspace,
    DiagnosticSettings,
    MetricAlerts,
    ActionGroup,
    KeyVaultSecret,
    PrivateNetwork,
    PrivateEndpoint,
]
"""Every component another language can use. ManagedOnlineEndpoint is not one of them: its traffic split is a Python
dynamic resource, which the engine runs in a provider started from the *consumer's* program folder and runtime, where
neither this package nor its venv is found; a TypeScript, Go, .NET or YAML program would fail at that step, after its
endpoint and GPU deployments were created."""


def _version() -> str:
    try:
        return metadata.version(PACKAGE)
    except metadata.PackageNotFoundError:
        return "0.0.0"


if __name__ == "__main__":
    component_provider_host(components=COMPONENTS, name=PACKAGE, version=_version())
