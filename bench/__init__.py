"""Benchmarks of tmuxorch against the usual ways of driving tmux (`make bench`).

Each benchmark is a sibling module with `add_arguments(parser)` and `run(args) -> int`, registered
in `bench.__main__`. They build their own tmux servers on private sockets and never touch the
user's server.
"""
