"""Shapes of what the clients accept: Azure's GUIDs, and the loopback hosts of local test servers."""

import re

GUID = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
"""Subscription, tenant, client and object ids."""
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "::1", "localhost"})
"""The only hosts a credential may reach over plain http: local test servers, never Azure."""
