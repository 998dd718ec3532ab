"""Unit tests: no tmux server, no process, no socket; pure logic, fast."""
