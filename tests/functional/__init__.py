"""Functional tests: a real tmux server per test on its own socket, real websockets servers
on 127.0.0.1, real clients and the real CLI."""
