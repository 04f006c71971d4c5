"""`llama-on-azure env`: what an application needs to call each endpoint with the OpenAI SDK: dotenv, shell, JSON."""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from catalog import endpoints as facts
from clients.errors import UserError
from clients.identifiers import LOOPBACK_HOSTS
from clients.redact import SECRET, clean_secret, printable
from infra.exports import ENDPOINT_KEY_SECRETS, ENDPOINT_KEYS, read_endpoints, read_key_secrets
from infra.kinds import KINDS

PREFIX = "LLAMA_"
FIELDS = ("URL", "BASE_URL", "MODEL", "AUTH", "API_KEY", "API_KEY_SECRET_URI", "TOKEN_SCOPE")
"""An endpoint's variables are `LLAMA_<NAME>_<FIELD>`; names are checked against all of them, printed or not."""
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_DOTENV_PLAIN = re.compile(r"[A-Za-z0-9_./:@%+=,~-]*")
"""Values every .env reader takes unquoted and alike (docker, compose, python-dotenv, shells)."""


class EnvError(UserError):
    """Outputs env cannot turn into variables: a message for the user (never a key's value)."""


@dataclass
class EndpointEnv:
    """What an application needs for one endpoint: its variables, and notes a person reads beside them."""

    name: str
    kind: str
    model: str
    """The catalog model the endpoint serves (for the comment; the variable MODEL is what a client sends)."""
    auth: str
    api: str
    model_is_deployment: bool
    fields: dict[str, str]
    """FIELD -> value: the variables without the endpoint's prefix."""
    notes: list[str] = field(default_factory=list)

    @property
    def variables(self) -> dict[str, str]:
        prefix = variable_prefix(self.name)
        return {prefix + k: v for k, v in self.fields.items()}


@dataclass
class Environment:
    stack: str | None
    endpoints: list[EndpointEnv]
    shared: dict[str, str]
    """Variables of the SDK and of azd templates, where the stack has one endpoint they fit."""
    shared_notes: list[str]
    secrets_shown: bool

    def variables(self) -> dict[str, str]:
        return {k: v for e in self.endpoints for k, v in e.variables.items()} | self.shared


def variable_prefix(endpoint: str) -> str:
    """`LLAMA_` + the endpoint's name upper-cased, each run of other characters than A-Z and 0-9 one `_`, + `_`."""
    part = re.sub(r"[^A-Z0-9]+", "_", endpoint.upper()).strip("_")
    return f"{PREFIX}{part}_" if part else ""


def _clashes(names: list[str]) -> list[str]:
    """Endpoint names that give one variable name: an error, never a silent overwrite."""
    problems, owner, reported = [], {}, set()
    for name in names:
        prefix = variable_prefix(name)
        if not prefix:
            problems.append(f"endpoints.{printable(name, 80)}: the name has no letter or digit for a variable name")
            continue
        for suffix in FIELDS:
            other = owner.setdefault(prefix + suffix, name)
            if other != name and (other, name) not in reported:
                reported.add((other, name))
                problems.append(
                    f"endpoints {printable(other, 80)} and {printable(name, 80)} both give the variable "
                    f"{printable(prefix + suffix, 120)}: rename one (variables are the name upper-cased, "
                    "other characters as _)"
                )
    return problems


class _Problem(Exception):
    """One thing wrong with one endpoint; all of them are reported at once."""


def _value(label: str, value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise _Problem(f"{label} is missing")
    if _CONTROL.search(value):
        raise _Problem(f"{label} has control characters")
    return value


def _url(label: str, url: str) -> str:
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        host = None
    if not host or parts.scheme not in ("https", "http"):
        raise _Problem(f"{label} is not an https URL: {printable(url, 200)!r}")
    if parts.scheme == "http" and host not in LOOPBACK_HOSTS:
        raise _Problem(f"{label} is plain http: a key or token goes over https only ({printable(url, 200)!r})")
    return url


def _secret_uri(name: str, uri: str) -> str:
    label = f"{ENDPOINT_KEY_SECRETS}.{name}"
    parts = urlsplit(_value(label, uri))
    if parts.scheme != "https" or not parts.netloc or parts.query or parts.fragment:
        raise _Problem(f"{label} is not a Key Vault secret URI (https://<vault>.vault.azure.net/secrets/<name>)")
    if not facts.KEY_VAULT_SECRET_PATH.fullmatch(parts.path):
        raise _Problem(f"{label} is not a Key Vault secret URI (https://<vault>.vault.azure.net/secrets/<name>)")
    return uri


def _endpoint(
    name: str, entry: dict[str, Any], keys: dict[str, str], secret_uris: dict[str, str], show_secrets: bool
) -> EndpointEnv:
    spec, label, prefix = KINDS[entry["kind"]].call(entry), f"endpoints.{name}", variable_prefix(name)
    if spec.base_url is None:
        raise _Problem(f"{label}.url has no base URL the OpenAI SDK takes: {printable(spec.url, 200)!r}")
    if not spec.model:
        raise _Problem(f"{label} has no model or deployment name for a client to send")
    auth = entry["auth"]
    values = {
        "URL": _url(f"{label}.url", _value(f"{label}.url", spec.url)),
        "BASE_URL": _url(f"{label}.url", _value(f"{label}.url", spec.base_url)),
        "MODEL": _value(f"{label}.model", spec.model),
        "AUTH": auth,
    }
    notes = [f"base URL: {spec.base_url_condition}"] if spec.base_url_condition else []
    if auth == "key":
        uri = secret_uris.get(name)
        if uri is not None:
            values["API_KEY_SECRET_URI"] = _secret_uri(name, uri)
            notes.append(f"the key is the Key Vault secret at {prefix}API_KEY_SECRET_URI (a managed identity reads it)")
        if show_secrets:
            raw = keys.get(name)
            key = clean_secret(raw) if raw else None
            if key is None:
                raise _Problem(f"{ENDPOINT_KEYS}.{name}: no key (or one a header cannot carry)")
            values["API_KEY"] = key
        elif uri is None:
            notes.append(f"{prefix}API_KEY is printed only with --show-secrets")
    elif auth == "entra":
        if not spec.token_scope:
            raise _Problem(f"{label}: signs in with Entra ID, but no token scope is known for its kind")
        values["TOKEN_SCOPE"] = spec.token_scope
        notes.append(f"no key: send an Entra ID token for {prefix}TOKEN_SCOPE as the API key")
    elif spec.sign_in:
        notes.append(f"no key: {spec.sign_in}")
    model = entry.get("model")
    return EndpointEnv(
        name,
        entry["kind"],
        model if isinstance(model, str) else "",
        auth,
        entry["api"],
        spec.model_is_deployment,
        values,
        notes,
    )


def _shared(found: list[EndpointEnv]) -> tuple[dict[str, str], list[str]]:
    """The OpenAI SDK's own variables when the stack has one endpoint (so `OpenAI()` needs no arguments), and the
    azd chat template's deployment variable when it has one chat deployment on a Foundry resource."""
    shared: dict[str, str] = {}
    notes: list[str] = []
    if len(found) == 1:
        only = found[0]
        base, key = facts.OPENAI_SDK_VARIABLES
        shared[base] = only.fields["BASE_URL"]
        if "API_KEY" in only.fields:
            shared[key] = only.fields["API_KEY"]
        notes.append(f"{base}{' and ' + key if key in shared else ''}: read by OpenAI() itself (one endpoint)")
    chats = [e for e in found if e.model_is_deployment and e.api == "chat"]
    if len(chats) == 1:
        shared[facts.AZD_CHAT_DEPLOYMENT_VARIABLE] = chats[0].fields["MODEL"]
        notes.append(f"{facts.AZD_CHAT_DEPLOYMENT_VARIABLE}: the azd AI chat template's name for it")
    return shared, notes


def build_env(outputs: Any, show_secrets: bool, stack: str | None = None) -> Environment:
    """The variables of every endpoint of `pulumi stack output --json --show-secrets`; every problem at once."""
    if isinstance(outputs, dict) and outputs.get(ENDPOINT_KEYS) == SECRET and not show_secrets:
        outputs = {**outputs, ENDPOINT_KEYS: {}}  # saved without --show-secrets: fine when no key is printed
    entries, keys = read_endpoints(outputs)
    secret_uris = read_key_secrets(outputs)
    names = sorted(str(n) for n in entries)
    problems = _clashes(names)
    strays = [n for n in secret_uris if n not in entries]
    problems += [f"{ENDPOINT_KEY_SECRETS}.{printable(n, 80)}: no such endpoint in endpoints" for n in strays]
    found: list[EndpointEnv] = []
    for name, entry in sorted(entries.items()):
        try:
            found.append(_endpoint(str(name), dict(entry), keys, secret_uris, show_secrets))
        except _Problem as problem:
            problems.append(str(problem))
    if problems:
        raise EnvError("the outputs give no environment for an application:\n  " + "\n  ".join(problems))
    shared, notes = _shared(found)
    return Environment(stack, found, shared, notes, show_secrets)


# ---------------------------------------------------------------------------------------------------------------
# Rendering.


def _dotenv_value(name: str, value: str) -> str:
    if _DOTENV_PLAIN.fullmatch(value):
        return value
    if "'" not in value and "\\" not in value:
        return f"'{value}'"  # single quotes: no reader expands $ or # inside them
    raise EnvError(f"{name}: its value has a quote or backslash no .env reader takes alike: use --format shell or json")


def _header(env: Environment) -> list[str]:
    where = f"stack {env.stack}" if env.stack else "the outputs file"
    keys = "keys included (--show-secrets)" if env.secrets_shown else "no key printed (--show-secrets prints them)"
    count = f"{len(env.endpoints)} endpoint{'s' if len(env.endpoints) != 1 else ''}"
    return [
        f"# llama-on-azure env: {where}, {count}, {keys}.",
        f"# {PREFIX}<ENDPOINT>_<FIELD>: the endpoint's name upper-cased, other characters as _.",
    ]


def _text(env: Environment, line: Any) -> str:
    out = _header(env)
    for e in env.endpoints:
        out += ["", f"# {printable(e.name, 80)}: {e.kind}, {printable(e.model, 80)}, auth {e.auth}"]
        out += [f"# {printable(note, 400)}" for note in e.notes]
        out += [line(k, v) for k, v in e.variables.items()]
    if env.shared:
        out += ["", *(f"# {printable(n, 400)}" for n in env.shared_notes)]
        out += [line(k, v) for k, v in env.shared.items()]
    return "\n".join(out) + "\n"


def _camel(field_name: str) -> str:
    first, *rest = field_name.lower().split("_")
    return first + "".join(word.capitalize() for word in rest)


def render(env: Environment, fmt: str) -> str:
    if fmt == "json":
        payload = {
            "stack": env.stack,
            "secretsShown": env.secrets_shown,
            "endpoints": {
                e.name: {
                    "kind": e.kind,
                    **{_camel(k): v for k, v in e.fields.items()},
                    "notes": e.notes,
                    "variables": e.variables,
                }
                for e in env.endpoints
            },
            "shared": env.shared,
            "variables": env.variables(),
        }
        return json.dumps(payload, indent=2) + "\n"
    if fmt == "shell":
        return _text(env, lambda k, v: f"export {k}={shlex.quote(v)}")
    return _text(env, lambda k, v: f"{k}={_dotenv_value(k, v)}")
