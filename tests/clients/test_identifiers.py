"""clients.identifiers: the URLs a token may go to are those every HTTP library here reads alike."""

import pytest
import requests
import urllib3.util
from hypothesis import given, settings
from hypothesis import strategies as st

from clients.identifiers import GUID, url_origin


@pytest.mark.parametrize(
    ("url", "origin"),
    [
        ("https://management.azure.com", ("https", "management.azure.com", 443)),
        ("https://EASTUS.api.azureml.ms/mferp/x?y=1", ("https", "eastus.api.azureml.ms", 443)),
        ("http://127.0.0.1:8080/x", ("http", "127.0.0.1", 8080)),
        ("http://[::1]:99/", ("http", "::1", 99)),
        ("https://evil.example#@eastus.api.azureml.ms", ("https", "evil.example", 443)),
    ],
)
def test_a_url_both_parsers_read_alike_gives_its_origin(url, origin):
    assert url_origin(url) == origin


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("https://evil.example:8443\\@eastus.api.azureml.ms/", "backslash"),
        ("https://eastus.api.azureml.ms\\.evil.example/", "backslash"),
        ("https://user@eastus.api.azureml.ms/", "user name"),
        ("https://user:pw@management.azure.com/", "user name"),
        ("https://management.azure.com /", "space"),
        ("https://management.azure.com\t.evil/", "control character"),
        ("https:///path", "no host"),
        ("https://management.azure.com:notaport/", "ort"),
    ],
)
def test_an_ambiguous_url_is_refused_saying_why(url, why):
    with pytest.raises(ValueError, match=why):
        url_origin(url)


AUTHORITY = st.text(alphabet="ab.:@\\/#?[]%1 \t", max_size=24)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(AUTHORITY, st.sampled_from(["http", "https"]))
def test_any_url_is_refused_or_is_where_requests_connects(authority, scheme):
    url = f"{scheme}://{authority}/p"
    try:
        origin = url_origin(url)
    except ValueError:
        return
    try:
        prepared = requests.Request("GET", url).prepare().url
    except requests.RequestException:
        return  # requests refuses it too: nothing is sent
    theirs = urllib3.util.parse_url(prepared)
    port = theirs.port or {"https": 443, "http": 80}[scheme]
    assert (theirs.scheme, (theirs.host or "").strip("[]").lower(), port) == origin, prepared


def test_guids_are_azures_shape():
    assert GUID.match("00000000-0000-0000-0000-000000000000")
    assert not GUID.match("00000000-0000-0000-0000-00000000000")
