"""Azure resource names derived from the environment, deterministic and within Azure's rules."""

from __future__ import annotations

import hashlib
import re

# Azure's rules, per resource type:
#   storage account  3-24, lowercase letters and digits, globally unique
#   key vault        3-24, letters/digits/dashes, starts with a letter, no "--", globally unique
#   container reg.   5-50, letters and digits, globally unique
#   ML workspace     ^[a-zA-Z0-9][a-zA-Z0-9_-]{2,32}$   [REST]
#   resource group   1-90, letters/digits/._-() not ending in "."
#   Log Analytics    4-63, letters/digits/dashes, starts and ends with letter or digit
STORAGE_ACCOUNT = re.compile(r"^[a-z0-9]{3,24}$")
KEY_VAULT = re.compile(r"^[a-zA-Z](?!.*--)[a-zA-Z0-9-]{1,22}[a-zA-Z0-9]$")
CONTAINER_REGISTRY = re.compile(r"^[a-zA-Z0-9]{5,50}$")
WORKSPACE = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9_-]{2,32}$")
RESOURCE_GROUP = re.compile(r"^[-\w._()]{0,89}[-\w_()]$")
LOG_ANALYTICS = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9-]{2,61}[a-zA-Z0-9]$")
MARKETPLACE_SUBSCRIPTION = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9\-_]{0,254}$")

SUFFIX_LENGTH = 6


def unique_suffix(*parts: str) -> str:
    """A short stable hash, like Bicep's uniqueString(): same inputs, same suffix, every run."""
    digest = hashlib.sha256("/".join(p.lower() for p in parts).encode()).hexdigest()
    return digest[:SUFFIX_LENGTH]


def _slug(value: str) -> str:
    return re.sub(r"[^a-z0-9]", "", value.lower())


def storage_account(prefix: str, environment: str, suffix: str) -> str:
    # The suffix is kept whole and the readable part is cut, so uniqueness never suffers.
    head = ("st" + _slug(prefix) + _slug(environment))[: 24 - len(suffix)]
    return head + suffix


def key_vault(prefix: str, environment: str, suffix: str) -> str:
    readable = re.sub(r"-+", "-", f"kv-{_slug(prefix)}-{_slug(environment)}")
    head = readable[: 24 - len(suffix) - 1].rstrip("-")
    return f"{head}-{suffix}"


def container_registry(prefix: str, environment: str, suffix: str) -> str:
    return ("cr" + _slug(prefix) + _slug(environment))[: 50 - len(suffix)] + suffix


def workspace(kind: str, prefix: str, environment: str) -> str:
    """`hub-llama-dev`, `proj-llama-dev`; cut to the workspace limit of 33 characters."""
    return f"{kind}-{_slug(prefix)}-{_slug(environment)}"[:33].rstrip("-_")


def resource_group(prefix: str, environment: str) -> str:
    return f"rg-{_slug(prefix)}-{_slug(environment)}"[:90]


def log_analytics(prefix: str, environment: str) -> str:
    return f"log-{_slug(prefix)}-{_slug(environment)}"[:63].rstrip("-")


def marketplace_subscription(model_name: str) -> str:
    """One subscription per project and offer, so the offer's name is the natural key."""
    return re.sub(r"[^a-zA-Z0-9\-_]", "-", model_name)[:255]
