"""Pulumi component resources for Meta Llama on Azure: hub, project, serverless and managed endpoints, Foundry."""
