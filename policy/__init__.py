"""The llama-on-azure CrossGuard policy pack (policies in `policy.rules`, the pack in `__main__.py`)."""
