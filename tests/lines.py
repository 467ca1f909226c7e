"""Product lines for hand-built portfolios: each line is the records whose project facet names it."""

from __future__ import annotations

from pmsync.model import ProductLine, Selector, split_key


def in_line(line: str | None) -> tuple[tuple[str, str], ...]:
    """A record of ``line``: the project facet its line selects (None: no line)."""
    return (("project", line),) if line else ()


def lines_of(*groups) -> list[ProductLine]:
    """The product lines the records' project facets name, one selector per tracker."""
    trackers: dict[str, set[str]] = {}
    for group in groups:
        for record in group:
            for name, value in record.facets:
                if name == "project":
                    trackers.setdefault(value, set()).add(split_key(record.key)[0])
    return [ProductLine(line, tuple(Selector(t, (("project", line),)) for t in sorted(ts)))
            for line, ts in sorted(trackers.items())]
