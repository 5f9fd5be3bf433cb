"""docs/PROTOCOL.md's table of event fields says what loyalty/event_fields.py defines:
the same fields, in the same order, required and optional in the same kinds."""

from __future__ import annotations

from pathlib import Path

from loyalty.event_fields import ALL, FIELDS

PROTOCOL = Path(__file__).resolve().parents[2] / "docs" / "PROTOCOL.md"
HEADER = "| field | required in | optional in | meaning |"


def _kinds(cell: str) -> frozenset[str]:
    cell = cell.strip()
    if cell == "every kind":
        return frozenset(ALL)
    if cell == "—":
        return frozenset()
    return frozenset(kind.strip() for kind in cell.split(","))


def documented_fields() -> list[tuple[str, frozenset[str], frozenset[str]]]:
    """(name, required in, optional in) for each row of the document's table."""
    lines = PROTOCOL.read_text(encoding="utf-8").splitlines()
    start = lines.index(HEADER) + 2  # past the header and its |---| line
    rows = []
    for line in lines[start:]:
        if not line.startswith("|"):
            break
        name, required, optional = (cell.strip() for cell in line.split("|")[1:4])
        rows.append((name.strip("`"), _kinds(required), _kinds(optional)))
    return rows


def test_the_protocol_documents_every_event_field_as_the_field_table_defines_it():
    defined = [(f.name, f.required, f.allowed - f.required) for f in FIELDS]
    assert documented_fields() == defined
