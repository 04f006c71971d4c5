"""containers/vllm/entrypoint.sh: the deployment's settings become `vllm serve` flags, on the weights Azure mounted."""

import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.support.stacks import ROOT

ENTRYPOINT = ROOT / "containers" / "vllm" / "entrypoint.sh"


@pytest.fixture
def box(tmp_path: Path):
    """A model mount with weights one folder down (as a registered folder appears) and a `vllm` that records argv."""
    mount = tmp_path / "azureml-models" / "Llama-3.3-70B-Instruct" / "1"
    (mount / "weights").mkdir(parents=True)
    (mount / "weights" / "config.json").write_text("{}")
    (mount / "weights" / "nested").mkdir()
    (mount / "weights" / "nested" / "config.json").write_text("{}")  # deeper: never chosen
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "vllm"
    fake.write_text("#!/usr/bin/env bash\npython3 -c 'import json,sys; print(json.dumps(sys.argv[1:]))' \"$@\"\n")
    fake.chmod(0o755)
    return {"mount": mount, "path": f"{bin_dir}:{os.environ['PATH']}"}


def start(box, **settings: str) -> subprocess.CompletedProcess:
    env = {"PATH": box["path"], "AZUREML_MODEL_DIR": str(box["mount"]), **settings}
    return subprocess.run(["bash", str(ENTRYPOINT)], env=env, capture_output=True, text=True, timeout=20)


def test_the_settings_become_flags_on_the_shallowest_weights(box):
    done = start(
        box,
        LLAMA_SERVED_MODEL_NAME="Llama-3.3-70B-Instruct",
        LLAMA_TENSOR_PARALLEL_SIZE="4",
        LLAMA_MAX_MODEL_LEN="32768",
        LLAMA_GPU_MEMORY_UTILIZATION="0.9",
        LLAMA_PORT="8000",
        LLAMA_EXTRA_ARGS="--enable-prefix-caching --max-num-seqs 16",
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == [
        "serve",
        str(box["mount"] / "weights"),
        "--host",
        "0.0.0.0",
        "--port",
        "8000",
        "--tensor-parallel-size",
        "4",
        "--gpu-memory-utilization",
        "0.9",
        "--served-model-name",
        "Llama-3.3-70B-Instruct",
        "--max-model-len",
        "32768",
        "--enable-prefix-caching",
        "--max-num-seqs",
        "16",
    ]


def test_extra_arguments_are_words_never_shell(box, tmp_path):
    marker = tmp_path / "ran"
    done = start(box, LLAMA_EXTRA_ARGS=f"$(touch {marker}) `touch {marker}`")
    assert done.returncode == 0 and not marker.exists()
    assert json.loads(done.stdout)[-4:] == ["$(touch", f"{marker})", "`touch", f"{marker}`"]


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"LLAMA_TENSOR_PARALLEL_SIZE": "four"}, "LLAMA_TENSOR_PARALLEL_SIZE=four is not a number"),
        ({"LLAMA_MAX_MODEL_LEN": "1e9; rm -rf /"}, "LLAMA_MAX_MODEL_LEN=1e9; rm -rf / is not a number"),
    ],
)
def test_a_setting_that_is_not_a_number_stops_the_container_naming_it(box, settings, message):
    done = start(box, **settings)
    assert done.returncode == 64 and message in done.stderr and done.stdout == ""


def test_a_mount_without_hugging_face_weights_is_one_clear_line(box):
    for config in box["mount"].rglob("config.json"):
        config.unlink()
    done = start(box)
    assert done.returncode == 64 and "no config.json under" in done.stderr
