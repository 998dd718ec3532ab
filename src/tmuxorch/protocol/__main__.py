"""`python -m tmuxorch.protocol`: print the protocol's JSON schema (for docs/protocol.md)."""

import sys

from tmuxorch.protocol.schema import schema_text

sys.stdout.write(schema_text() + "\n")
