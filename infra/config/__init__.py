"""The stack configuration: the `llama-on-azure:*` keys of `Pulumi.<stack>.yaml`, validated once, read everywhere.

Parse (`parse`) checks each key on its own into a partial stack; the rules (`rules`) judge it across keys with
each deployment's catalog entry; the result is a resolved stack (`stack`). The keys are `model`, their types `types`.
"""
