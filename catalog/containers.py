"""The serving container a managed deployment with its own weights runs by default: vLLM's OpenAI-compatible server."""

from dataclasses import dataclass


@dataclass(frozen=True)
class ServingImage:
    """A pinned server image and the routes Azure ML probes and forwards requests to [custom-container, vllm]."""

    image: str
    port: int
    health_path: str
    """Liveness and readiness: vLLM has one health route, 503 until the model is loaded."""
    scoring_path: str
    """The route Azure ML shows as the endpoint's scoring URI; request paths pass through to the container."""
    source: str = "vllm-release"


VLLM = ServingImage("vllm/vllm-openai:v0.30.0", 8000, "/health", "/v1/chat/completions")
BUILD_CONTEXT = "containers/vllm"
"""The folder (Dockerfile and entrypoint) that wraps the image: Azure ML cannot set a container's arguments."""
MODEL_TYPE = "custom_model"
"""What a folder of Hugging Face-format weights is registered as [custom-container]."""
LOAD_PROBE_DELAY_SECONDS = 1800
"""Before the first readiness probe of a deployment bringing its own weights: Azure ML copies the weights to the
VM before the container starts, and a 70B model takes 10 to 40 minutes to load [custom-container]."""
