"""`tmuxorch serve`: the fleet over an authenticated WebSocket (docs/protocol.md).

listener.py  the websockets server: start, close, handshake limits, the hub's event feed
session.py   one client connection: reading requests, serving them, its outbox, resync
hub.py       event fan-out: contiguous seqs, replay history, bounded per-client outboxes
auth.py      the handshake checks: rate limit, Host, Origin, Bearer token
tokens.py    API tokens: created, listed, revoked, verified (hashed in the SQLite store)
options.py   how it listens and what it allows; its TLS context

The wire contract itself is tmuxorch.protocol, shared with the client. This package may import
websockets; core must not (DESIGN.md). It knows the Backend interface, never the engine.
"""
