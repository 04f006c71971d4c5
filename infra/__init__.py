"""The llama-on-azure Pulumi program and the tools around it."""
