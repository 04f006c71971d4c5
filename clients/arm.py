"""Azure Resource Manager calls with safe defaults: one deadline, bounded retries, the token only to ARM's origin."""

import contextlib
import datetime as dt
import logging
import math
import os
import re
import urllib.parse
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, TypeVar

from azure.core.exceptions import (
    AzureError,
    ClientAuthenticationError,
    DecodeError,
    DeserializationError,
    HttpResponseError,
    ServiceRequestError,
    ServiceResponseError,
)
from azure.core.pipeline import policies
from azure.core.pipeline.transport import RequestsTransport
from azure.core.polling.base_polling import BadResponse
from azure.core.rest import HttpRequest
from azure.mgmt.core import ARMPipelineClient
from azure.mgmt.core.policies import ARMChallengeAuthenticationPolicy
from azure.mgmt.core.polling.arm_polling import ARMPolling
from urllib3.exceptions import HTTPError as Urllib3Error

from clients import json_input
from clients.credential import TokenCredential, cloud_from_env, one_line
from clients.deadline import Deadline, DeadlineExceeded
from clients.errors import UserError
from clients.identifiers import LOOPBACK_HOSTS, shown_url, url_origin
from clients.redact import Redactor, printable

ARM_ENDPOINT_VARIABLE = "LLAMA_ON_AZURE_ARM_ENDPOINT"
"""Points every ARM client at another endpoint: a private cloud over https, or a local test server on loopback."""
USER_AGENT = "llama-on-azure"
# ARM's codes for "the resource is busy with another operation": a 409 that succeeds when asked again.
# Machine Learning answers a plain `Conflict` with "another operation ... is already running".
BUSY_CODES = frozenset({"AnotherOperationInProgress", "OperationNotAllowed_ConcurrentUpdate", "ConcurrentUpdate"})
BUSY_MESSAGE = re.compile(r"another operation|operation is in progress|already running|concurrent", re.IGNORECASE)
RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})

T = TypeVar("T")
_ODD_ANSWER = (AttributeError, TypeError, KeyError, ValueError)
"""What azure-mgmt's generated code raises on an answer it cannot read (json.JSONDecodeError is a ValueError)."""


class ArmError(UserError):
    """An ARM call that failed for good, in one line; `status` is 0 when no answer came, `code` is ARM's error code."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"Azure Resource Manager: {message}" + (f" (HTTP {status} {code})" if status else ""))
        self.status, self.code, self.message = status, code, message


def arm_date(value: Any) -> dt.date | None:
    """A date from whatever ARM or a generated model gives (datetime, ISO text); None when it is neither."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.datetime.fromisoformat(str(value).replace("Z", "+00:00")).date()
    except ValueError:
        return None


def checked_endpoint(url: str, what: str) -> str:
    """An endpoint a token may go to: https, or plain http only on a loopback test server."""
    try:
        scheme, host, _ = url_origin(url.strip())
    except ValueError as exc:
        raise UserError(f"{what} {shown_url(url)!r} cannot be a token's endpoint: {exc}") from None
    if scheme == "https" or (scheme == "http" and host in LOOPBACK_HOSTS):
        return url.strip().rstrip("/")
    raise UserError(
        f"{what} {shown_url(url)!r} must be an https URL (plain http only for a test server on 127.0.0.1 or localhost)"
    )


def arm_endpoint(configured: str | None = None, environ: Mapping[str, str] = os.environ) -> str:
    """The ARM endpoint: the override when one is set, else that of the cloud ARM_ENVIRONMENT names."""
    override = configured or environ.get(ARM_ENDPOINT_VARIABLE)
    if override:
        return checked_endpoint(override, ARM_ENDPOINT_VARIABLE)
    return cloud_from_env(environ).arm_endpoint


def arm_scope(endpoint: str, environ: Mapping[str, str] = os.environ) -> str:
    """The token scope for an ARM endpoint: the cloud's own (it differs from the URL in US Government), else
    the endpoint's `/.default`."""
    cloud = cloud_from_env(environ)
    return cloud.arm_scope if endpoint.rstrip("/") == cloud.arm_endpoint else endpoint.rstrip("/") + "/.default"


class _LibraryRecord(logging.Filter):
    """A record of a library the tools call, made a DEBUG line without its traceback: what went wrong reaches the
    user once, as the tool's own one-line error (azure-core's generated clients log a WARNING with a traceback for
    every answer their "failsafe deserialization" could not read)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info or record.exc_text or record.stack_info or record.levelno > logging.DEBUG:
            record.exc_info, record.exc_text, record.stack_info = None, None, None
            record.levelno, record.levelname = logging.DEBUG, logging.getLevelName(logging.DEBUG)
        return True


_LIBRARY_RECORD = _LibraryRecord()
LIBRARIES = ("azure", "msrest", "urllib3")
"""The loggers of the libraries ARM calls go through: their records are quieted where they are made."""


def quiet_library_logs() -> None:
    """Puts the filter on every logger of those libraries that exists now (a logger's filter applies to the records
    it makes, not to its children's): called when a client or a generated client is made, after its imports."""
    for name, logger in list(logging.Logger.manager.loggerDict.items()):
        if (
            isinstance(logger, logging.Logger)
            and name.split(".")[0] in LIBRARIES
            and _LIBRARY_RECORD not in logger.filters
        ):
            logger.addFilter(_LIBRARY_RECORD)


class _TokenLedger:
    """Wraps the credential to remember the tokens it handed out, so that no error message can repeat them."""

    def __init__(self, credential: TokenCredential) -> None:
        self.credential, self.redact = credential, Redactor()

    def get_token(self, *scopes: str, **kwargs: Any) -> Any:
        token = self.credential.get_token(*scopes, **kwargs)
        self.redact.add(token.token)
        return token


class _DeadlinePolicy(policies.SansIOHTTPPolicy):
    def __init__(self, deadline: Deadline) -> None:
        self.deadline = deadline

    def on_request(self, request: Any) -> None:
        self.deadline.check()


class _OriginBoundBearerPolicy(ARMChallengeAuthenticationPolicy):
    """The bearer token only to the client's own origin; any other (a redirect, a nextLink, an operation
    status URL) is refused before a byte is sent. The refusal is not an AzureError, so it is not retried."""

    def __init__(self, credential: Any, scope: str, origin: str) -> None:
        super().__init__(credential, scope)
        self._origin = url_origin(origin)

    def on_request(self, request: Any) -> None:
        url = request.http_request.url
        try:
            same = url_origin(url) == self._origin
        except ValueError as exc:
            raise ArmError(0, "OtherOrigin", f"refused to send the Azure token to a URL where {exc}") from None
        if not same:
            host = printable(urllib.parse.urlsplit(url).netloc, 120)
            raise ArmError(
                0, "OtherOrigin", f"refused to send the Azure token to {host}, which is not {self._origin[1]}"
            )
        # azure-core refuses a token over http; the endpoint was checked to be loopback when it is http.
        request.context.options.pop("enforce_https", None)
        request.context["enforce_https"] = self._origin[0] == "https"
        super().on_request(request)


class _BoundedRetryPolicy(policies.RetryPolicy):
    """Retries throttling, server errors and a busy resource, never another 4xx; waits what Retry-After asks,
    within `max_retry_after` and the deadline (stock azure-core sleeps 86400 s, or crashes on a bad date)."""

    def __init__(self, deadline: Deadline, *, max_retry_after: float = 60, **kwargs: Any) -> None:
        kwargs.setdefault("retry_total", 6)
        kwargs.setdefault("retry_backoff_factor", 1.0)
        kwargs.setdefault("retry_backoff_max", 30)
        super().__init__(**kwargs)
        self.deadline, self.max_retry_after = deadline, max_retry_after

    def get_retry_after(self, response: Any) -> float | None:
        try:
            delay = super().get_retry_after(response)
        except (ValueError, OverflowError, TypeError):
            return None
        if delay is None or not math.isfinite(delay) or delay <= 0:
            return None
        return min(delay, self.max_retry_after)

    def configure_retries(self, options: dict[str, Any]) -> dict[str, Any]:
        settings = super().configure_retries(options)
        settings["timeout"] = min(settings["timeout"], max(0.001, self.deadline.remaining()))
        return settings

    def is_retry(self, settings: dict[str, Any], response: Any) -> bool:
        status = response.http_response.status_code
        if status == 409:
            return bool(settings["total"]) and _busy(response.http_response)
        if status < 400 or (status < 500 and status not in RETRY_STATUSES):
            return False
        return bool(settings["total"]) and status in RETRY_STATUSES


def _error_body(response: Any) -> dict[str, Any]:
    try:
        body = json_input.loads(response.body() or b"{}")
    except (json_input.NotJson, TypeError):
        return {}
    error = body.get("error") if isinstance(body, dict) else None
    return error if isinstance(error, dict) else {}


def _busy(response: Any) -> bool:
    error = _error_body(response)
    code, message = str(error.get("code") or ""), str(error.get("message") or "")
    return code in BUSY_CODES or (code in ("Conflict", "UserError", "") and bool(BUSY_MESSAGE.search(message)))


class _JsonAnswerPolicy(policies.SansIOHTTPPolicy):
    """A 2xx answer must be empty or a JSON object: an HTML page or a bare list is an error here, not a
    traceback in a deserializer later. Any answer nested too deeply is refused before azure-core parses it
    (its parser would raise RecursionError)."""

    def on_response(self, request: Any, response: Any) -> None:
        answer = response.http_response
        if not answer.body():
            return
        success = 200 <= answer.status_code < 300
        try:
            body = json_input.loads(answer.body())
        except json_input.NotJson as err:
            if not success and not isinstance(err, json_input.TooDeep):
                return  # an error page that is not JSON: its status and reason say what went wrong
            raise ArmError(
                answer.status_code, "NotJson", f"{_path(request)} answered with something not JSON ({err})"
            ) from None
        if not success:
            return
        if not isinstance(body, dict):
            kind = type(body).__name__
            raise ArmError(answer.status_code, "NotAnObject", f"{_path(request)} answered a JSON {kind}, not an object")


def _path(request: Any) -> str:
    return urllib.parse.urlsplit(request.http_request.url).path or "/"


class _BoundedTransport(RequestsTransport):
    """Reads each body itself, within the deadline and `max_body_bytes`: requests' own read times out per
    recv(), so a server that trickles a byte at a time would never end. Sleeps are cut to the deadline."""

    def __init__(self, deadline: Deadline, max_body_bytes: int) -> None:
        super().__init__(connection_timeout=10, read_timeout=60)
        self.deadline, self.max_body_bytes = deadline, max_body_bytes

    def sleep(self, duration: float) -> None:
        self.deadline.sleep(duration)

    def send(self, request: Any, **kwargs: Any) -> Any:
        self.deadline.check()
        left = max(0.05, self.deadline.remaining())
        kwargs["connection_timeout"] = min(kwargs.get("connection_timeout", 10), left)
        kwargs["read_timeout"] = min(kwargs.get("read_timeout", 60), left)
        kwargs.pop("stream", None)
        response = super().send(request, stream=True, **kwargs)
        raw, body = response.internal_response.raw, bytearray()
        try:
            while chunk := raw.read1(65536, decode_content=True):
                body += chunk
                if len(body) > self.max_body_bytes:
                    raise ArmError(0, "TooLarge", f"an answer was larger than {self.max_body_bytes} bytes")
                self.deadline.check("reading an answer")
        except (Urllib3Error, OSError) as err:
            response.internal_response.close()
            raise ServiceResponseError(type(err).__name__, error=err) from None
        except BaseException:
            response.internal_response.close()
            raise
        response.internal_response._content = bytes(body)
        response.internal_response._content_consumed = True
        response.internal_response.close()
        if hasattr(response, "read"):
            response.read()  # the body is in place: this only marks it read, as a non-streamed answer is
        return response


class _BoundedPolling(ARMPolling):
    """ARM's polling with a cap on polls and on each wait, and a clean error for a status of the wrong type
    (stock: AttributeError for a list or a string, endless polling for a number)."""

    def __init__(self, interval: float, max_polls: int, max_delay: float) -> None:
        super().__init__(interval)
        self._polls, self._max_polls, self._max_delay = 0, max_polls, max_delay

    def _extract_delay(self) -> float:
        try:
            delay = super()._extract_delay()
        except (ValueError, OverflowError, TypeError):
            delay = self._timeout
        if not math.isfinite(delay) or delay < 0:
            delay = self._timeout
        return min(delay, self._max_delay)

    def initialize(self, *args: Any, **kwargs: Any) -> None:
        try:
            super().initialize(*args, **kwargs)
        except (AttributeError, TypeError, KeyError):  # e.g. `properties` is a number in the first answer
            raise ArmError(200, "BadResponse", "the answer that starts the operation is not what ARM sends") from None

    def update_status(self) -> None:
        self._polls += 1
        if self._polls > self._max_polls:
            raise BadResponse(f"the operation was still running after {self._max_polls} polls")
        try:
            super().update_status()
        except (AttributeError, TypeError, KeyError):
            raise BadResponse("an operation status is not a JSON object") from None
        if not isinstance(self._status, str):
            raise BadResponse(f"an operation status is {type(self._status).__name__}, not a string")


class ArmClient:
    """Calls to one ARM origin under one deadline: JSON GETs, pages, long-running PUT/POST/DELETE, and Microsoft's
    generated clients (`mgmt`) on the same safe pipeline. Every failure is an `ArmError` (a `UserError`)."""

    def __init__(
        self,
        credential: TokenCredential,
        endpoint: str | None = None,
        *,
        scope: str | None = None,
        deadline: Deadline | float = 600,
        poll_interval: float = 10,
        max_polls: int = 720,
        max_pages: int = 100,
        max_body_bytes: int = 16 << 20,
        max_retry_after: float = 60,
        retry_total: int = 6,
        environ: Mapping[str, str] = os.environ,
    ) -> None:
        self.endpoint = arm_endpoint(endpoint, environ)
        self.scope = scope or arm_scope(self.endpoint, environ)
        self.deadline = deadline if isinstance(deadline, Deadline) else Deadline(deadline)
        self.poll_interval, self.max_polls, self.max_pages = poll_interval, max_polls, max_pages
        self._options = {
            "poll_interval": poll_interval,
            "max_polls": max_polls,
            "max_pages": max_pages,
            "max_body_bytes": max_body_bytes,
            "max_retry_after": max_retry_after,
            "retry_total": retry_total,
        }
        self._credential = _TokenLedger(credential)
        self._transport = _BoundedTransport(self.deadline, max_body_bytes)
        self._retry = {"max_retry_after": max_retry_after, "retry_total": retry_total, "retry_status": retry_total}
        self.pipeline = ARMPipelineClient(base_url=self.endpoint, policies=self.policies(), transport=self._transport)
        quiet_library_logs()

    def sibling(self, endpoint: str) -> "ArmClient":
        """A client for another origin (an Azure ML registry host): the same token scope, deadline and limits;
        `endpoint` must pass `checked_endpoint` and the caller's own rule for which hosts may get the token."""
        credential = self._credential.credential
        return ArmClient(credential, endpoint, scope=self.scope, deadline=self.deadline, **self._options)

    def policies(self) -> list[Any]:
        """The generated clients' list without auto-registration (a write and an endless poll on a 409), network
        trace logging (it logs the token) and redirects; with the deadline, bounded retries and origin-bound auth."""
        return [
            policies.RequestIdPolicy(),
            policies.HeadersPolicy(),
            policies.UserAgentPolicy(sdk_moniker=USER_AGENT),
            _DeadlinePolicy(self.deadline),
            policies.ContentDecodePolicy(),
            policies.RedirectPolicy(permit_redirects=False),
            _BoundedRetryPolicy(self.deadline, **self._retry),
            _OriginBoundBearerPolicy(self._credential, self.scope, self.endpoint),
            _JsonAnswerPolicy(),
            policies.SensitiveHeaderCleanupPolicy(),
        ]

    def mgmt(self, client_class: type[T], subscription_id: str, **kwargs: Any) -> T:
        """A generated azure-mgmt-* client (Cognitive Services, Key Vault) on this client's pipeline and deadline."""
        quiet_library_logs()  # its modules are imported now, their loggers made
        return client_class(  # type: ignore[call-arg]
            self._credential,
            subscription_id,
            base_url=self.endpoint,
            credential_scopes=[self.scope],
            policies=self.policies(),
            transport=self._transport,
            polling_interval=self.poll_interval,
            **kwargs,
        )

    def polling(self) -> ARMPolling:
        """The polling method to pass as `polling=` to a generated client's `begin_*`."""
        return _BoundedPolling(self.poll_interval, self.max_polls, max_delay=60)

    # Errors.
    @contextlib.contextmanager
    def errors(self, what: str) -> Iterator[None]:
        """Turns whatever azure-core raises while doing `what` into one ArmError line, with no token in it."""
        try:
            yield
        except ArmError as err:
            raise self._error(err.status, err.code, f"{what}: {err.message}") from None
        except DeadlineExceeded as err:
            raise self._error(0, "Timeout", f"{what}: {err}") from None
        except UserError:
            raise
        except ClientAuthenticationError as err:
            if err.response is not None:  # ARM's 401, mapped by a generated client
                raise self._from_response(err, what) from None
            hint = "run `az login` or check the ARM_* variables"
            raise UserError(f"Azure sign-in failed: {one_line(err)}; {hint}") from None
        except HttpResponseError as err:
            raise self._from_response(err, what) from None
        except (DecodeError, DeserializationError):
            raise self._error(0, "BadResponse", f"{what}: ARM's answer is not what the API documents") from None
        except (ServiceRequestError, ServiceResponseError) as err:
            message = f"{what}: no answer from {self.endpoint} ({one_line(err)})"
            raise self._error(0, "ConnectionFailed", message) from None
        except AzureError as err:
            raise self._error(0, type(err).__name__, f"{what}: {one_line(err)}") from None

    def _error(self, status: int, code: str, message: str) -> ArmError:
        redact = self._credential.redact
        return ArmError(status, redact(str(code)[:80]), redact(" ".join(message.split())[:400]))

    def _from_response(self, err: HttpResponseError, what: str) -> ArmError:
        status = err.status_code or 0
        error = getattr(err, "error", None)
        code = str(getattr(error, "code", None) or (err.reason or ""))
        text = str(getattr(error, "message", None) or one_line(err))
        if 300 <= status < 400:
            text = "ARM answered with a redirect, which is never followed with a token"
        elif status == 401:
            text = f"ARM refused the token ({text}): sign in again (`az login`) or check the ARM_* variables"
        elif status == 403:
            text = f"not allowed: {text}"
        return self._error(status, code, f"{what}: {text}")

    # Plain JSON calls, for resources no generated client covers at the API version the stack uses.
    def url(self, path: str, api_version: str, **query: str) -> str:
        if path.startswith(("http://", "https://")):
            return path
        return self.pipeline.format_url(path) + "?" + urllib.parse.urlencode({"api-version": api_version, **query})

    def _send(self, method: str, url: str, body: Any = None) -> Any:
        request = HttpRequest(method, url, json=body) if body is not None else HttpRequest(method, url)
        return self.pipeline.send_request(request, _return_pipeline_response=True)

    @staticmethod
    def _json(response: Any) -> Any:
        if not 200 <= response.status_code < 300:
            raise HttpResponseError(response=response, error=_ArmErrorBody(_error_body(response)))
        try:
            return json_input.loads(response.body()) if response.body() else None
        except json_input.NotJson as err:  # the pipeline's own check ran on this body; this is the last guard
            raise ArmError(response.status_code, "NotJson", f"the answer is not JSON ({err})") from None

    def get(self, path: str, api_version: str) -> dict[str, Any]:
        """The JSON object ARM answers; an empty answer is an error (ARM answers a GET with the resource)."""
        with self.errors(f"GET {path}"):
            response = self._send("GET", self.url(path, api_version)).http_response
            answer = self._json(response)
            if answer is None:
                raise ArmError(response.status_code, "EmptyAnswer", "answered with nothing, not the JSON it documents")
            return answer

    def get_or_none(self, path: str, api_version: str) -> dict[str, Any] | None:
        """The resource, or None when ARM says it does not exist (404)."""
        try:
            return self.get(path, api_version)
        except ArmError as err:
            if err.status == 404:
                return None
            raise

    def pages(self, path: str, api_version: str) -> Iterator[Any]:
        """Items of a list operation across its pages; a repeated nextLink or too many pages is an error."""
        url = self.url(path, api_version)
        seen = {url}
        for _ in range(self.max_pages):
            with self.errors(f"GET {path}"):
                page = self._json(self._send("GET", url).http_response)
            items, url = (page.get("value"), page.get("nextLink")) if isinstance(page, dict) else (None, None)
            if not isinstance(items, list) or not (url is None or isinstance(url, str)):
                raise self._error(200, "BadResponse", f"GET {path}: a page is not {{value: [...], nextLink}}")
            yield from items
            if not url:
                return
            if url in seen:
                raise self._error(200, "PageLoop", f"GET {path}: nextLink points back at a page already read")
            seen.add(url)
        raise self._error(200, "TooManyPages", f"GET {path}: more than {self.max_pages} pages")

    def items(self, pager: Iterable[T], what: str, kind: type[T] | None = None) -> list[T]:
        """Every item of a generated client's pager, within the page cap and without loops; each one a `kind` (the
        generated model), or the answer is not what the API documents."""
        with self.errors(what):
            pages = pager.by_page()  # type: ignore[attr-defined]
            found: list[T] = []
            seen: set[str] = set()
            for _ in range(self.max_pages):
                try:
                    page = list(next(pages))
                except StopIteration:
                    return found
                except _ODD_ANSWER as err:  # the generated pager read an empty or odd page
                    kind_of = type(err).__name__
                    raise ArmError(200, "BadResponse", f"a page is not what the API documents ({kind_of})") from None
                if kind is not None and not all(isinstance(item, kind) for item in page):
                    raise ArmError(200, "BadResponse", f"an item of the list is not a {kind.__name__}")
                found += page
                link = getattr(pages, "continuation_token", None)
                if link in seen:
                    raise ArmError(200, "PageLoop", "nextLink points back at a page already read")
                seen.add(link)
            raise ArmError(200, "TooManyPages", f"more than {self.max_pages} pages")

    def call(self, what: str, operation: Callable[[], Any], returns: type[T] | None = None) -> T:
        """Runs one generated-client call (or a poller's `.result()`) with its errors made one line; with `returns`,
        what it answers must be one (an empty answer deserializes to None)."""
        with self.errors(what):
            try:
                answer = operation()
            except _ODD_ANSWER as err:  # the generated deserializer read an empty, cut or odd answer
                kind = type(err).__name__
                raise ArmError(200, "BadResponse", f"the answer is not what the API documents ({kind})") from None
            if returns is not None and not isinstance(answer, returns):
                found = "nothing" if answer is None else type(answer).__name__
                raise ArmError(200, "BadResponse", f"answered {found}, not the {returns.__name__} the API documents")
            return answer

    def operation(self, method: str, path: str, api_version: str, body: Any = None, **query: str) -> Any:
        """A PUT, POST or DELETE, then its long-running operation until it ends; the resource as ARM then has it."""
        with self.errors(f"{method} {path}"):
            initial = self._send(method, self.url(path, api_version, **query), body)
            self._json(initial.http_response)
            polling = self.polling()
            polling.initialize(self.pipeline, initial, lambda response: self._json(response.http_response))
            polling.run()
            return polling.resource()


class _ArmErrorBody:
    """ARM's `{"error": {"code", "message"}}`, in the shape HttpResponseError reads from `error=`."""

    def __init__(self, error: dict[str, Any]) -> None:
        self.code = str(error.get("code") or "")
        self.message = str(error.get("message") or "")

    def __str__(self) -> str:
        return f"({self.code}) {self.message}"
