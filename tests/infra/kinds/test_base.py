"""infra/kinds/base.py: what every kind must declare, and the registry that finds them."""

import pytest

from infra.kinds import KINDS
from infra.kinds.base import Kind


def test_a_kind_without_build_or_call_cannot_be_made():
    class Half(Kind):
        name = "half"

        def build(self, platforms, deployments):
            return {}

    with pytest.raises(TypeError, match="abstract method call"):
        Half()
    with pytest.raises(TypeError, match="abstract methods build, call"):
        type("Empty", (Kind,), {"name": "empty"})()


def test_every_registered_kind_is_a_whole_kind_under_its_own_name():
    assert KINDS
    for name, kind in KINDS.items():
        assert isinstance(kind, Kind) and kind.name == name and not kind.__abstractmethods__
