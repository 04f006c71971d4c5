"""Tools around the program: offline plan, command line."""
