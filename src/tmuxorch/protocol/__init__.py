"""The WebSocket protocol (DESIGN.md), the one wire contract of the server and the client:
models pydantic validates (requests are pydantic models; results and frames are core's frozen
dataclasses, core/frozen.py) and pure functions, no I/O.

- `scopes`: what a token may do; `requests`: what clients send and its two-step parsing;
- `results`: each op's result model; `frames`: hello, response, event and resync frames, their
  encoding (server) and decoding (client), and PROTOCOL_VERSION;
- `errors`: the one table from error codes to exceptions, both ways;
- `schema`: the JSON schema in docs/protocol.md, generated from all of the above;
- `redaction`: loggers for websockets on either end that never show the Authorization header.
"""
