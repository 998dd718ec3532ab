"""Rewrite the JSON schema block at the end of docs/protocol.md from the code (after a model
change: `python scripts/refresh_protocol_doc.py`)."""

from pathlib import Path

from tmuxorch.protocol.schema import schema_text

DOC = Path(__file__).resolve().parent.parent / "docs" / "protocol.md"
text = DOC.read_text()
head, marker, _ = text.rpartition("```json\n")
DOC.write_text(head + marker + schema_text() + "\n```\n")
