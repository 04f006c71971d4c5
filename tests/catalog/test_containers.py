"""catalog.containers: the pinned serving image is the one the shipped build context starts from."""

import re

from catalog import containers
from catalog.sources import SOURCES
from tests.support.stacks import ROOT


def test_the_dockerfile_default_is_the_catalogs_pin():
    dockerfile = (ROOT / containers.BUILD_CONTEXT / "Dockerfile").read_text()
    (default,) = re.findall(r"^ARG VLLM_IMAGE=(\S+)$", dockerfile, flags=re.MULTILINE)
    assert default == containers.VLLM.image
    assert re.fullmatch(r"vllm/vllm-openai:v\d+\.\d+\.\d+", containers.VLLM.image), "pinned, never latest"
    assert containers.VLLM.source in SOURCES
