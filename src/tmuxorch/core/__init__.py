"""The engine: tmux control mode, models, events. Imports neither textual nor websockets."""
