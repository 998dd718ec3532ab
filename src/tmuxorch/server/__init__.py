"""`tmuxorch serve`: the fleet over an authenticated WebSocket (docs/protocol.md).

protocol.py  the wire protocol as pydantic models; parsing, error codes, frame encoding
tokens.py    API tokens: created, listed, revoked, verified (hashed in the SQLite store)
auth.py      the handshake checks: rate limit, Host, Origin, Bearer token
hub.py       event fan-out: contiguous seqs, replay history, bounded per-client outboxes
server.py    the websockets server: connections, requests, limits, shutdown

This package may import websockets; core must not (DESIGN.md).
"""
