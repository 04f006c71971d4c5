"""Tools around the program: offline plan, preflight, smoke test, purge, command line."""
