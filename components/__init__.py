"""Pulumi component resources for Meta Llama on Azure AI Studio."""
