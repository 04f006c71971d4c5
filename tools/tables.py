"""Plain-text tables for a terminal: padded columns, the last one (the detail) left as it is."""

from collections.abc import Sequence


def render_rows(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    """One line per row, headers first; every column but the last padded to its widest cell."""
    table = [list(map(str, headers)), *[list(map(str, row)) for row in rows]]
    widths = [max(len(row[i]) for row in table) for i in range(len(headers) - 1)]
    return [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=False)) + "  " + row[-1] for row in table
    ]
