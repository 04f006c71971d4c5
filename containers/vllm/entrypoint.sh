#!/usr/bin/env bash
# Starts vLLM's OpenAI-compatible server on the weights Azure ML mounted, with the settings the deployment passes
# as environment variables (Azure ML has no command or argument field for a managed deployment).
#   AZUREML_MODEL_DIR              where Azure ML mounted the model (set by Azure ML)
#   LLAMA_SERVED_MODEL_NAME        the name clients send as `model`
#   LLAMA_TENSOR_PARALLEL_SIZE     GPUs to shard the model over (the VM size's GPU count)
#   LLAMA_MAX_MODEL_LEN            context length in tokens (empty: the model's own)
#   LLAMA_GPU_MEMORY_UTILIZATION   share of each GPU's memory vLLM may use
#   LLAMA_PORT                     the port the inference routes point at
#   LLAMA_EXTRA_ARGS               more `vllm serve` flags, as words
set -euo pipefail

fail() { echo "llama-on-azure entrypoint: $*" >&2; exit 64; }

root="${AZUREML_MODEL_DIR:?AZUREML_MODEL_DIR is not set: is this running on an Azure ML deployment?}"
[ -d "$root" ] || fail "AZUREML_MODEL_DIR $root is not a directory"
# The layout under the mount differs by how the model was registered: take the shallowest folder holding the
# Hugging Face config.json.
config="$(find "$root" -name config.json -type f -printf '%d %p\n' 2>/dev/null | sort -n | head -n 1 | cut -d' ' -f2-)"
[ -n "$config" ] || fail "no config.json under $root: register Hugging Face-format weights (config.json, *.safetensors)"
model="$(dirname "$config")"

number() { [[ "$2" =~ ^[0-9]+([.][0-9]+)?$ ]] || fail "$1=$2 is not a number"; }
port="${LLAMA_PORT:-8000}"; number LLAMA_PORT "$port"
parallel="${LLAMA_TENSOR_PARALLEL_SIZE:-1}"; number LLAMA_TENSOR_PARALLEL_SIZE "$parallel"
memory="${LLAMA_GPU_MEMORY_UTILIZATION:-0.9}"; number LLAMA_GPU_MEMORY_UTILIZATION "$memory"

args=(serve "$model" --host 0.0.0.0 --port "$port" --tensor-parallel-size "$parallel" --gpu-memory-utilization "$memory")
[ -n "${LLAMA_SERVED_MODEL_NAME:-}" ] && args+=(--served-model-name "$LLAMA_SERVED_MODEL_NAME")
if [ -n "${LLAMA_MAX_MODEL_LEN:-}" ]; then
  number LLAMA_MAX_MODEL_LEN "$LLAMA_MAX_MODEL_LEN"
  args+=(--max-model-len "$LLAMA_MAX_MODEL_LEN")
fi
# Extra flags are split on whitespace, never evaluated by the shell.
read -r -a extra <<< "${LLAMA_EXTRA_ARGS:-}"
exec vllm "${args[@]}" "${extra[@]}"
