"""The client of `tmuxorch serve`: a Backend over one WebSocket (`--connect URL`).

backend.py       RemoteBackend: the Backend interface; each op is one request and its result model
link.py          the connection: requests and their answers, the reader, reconnecting with backoff
subscription.py  the event stream: seqs, gaps, resyncs, and each local subscriber's queue
dialing.py       the URL, the token, the dial and hello, and why a connection failed
errors.py        what only a client can fail with (a refused handshake, a dropped connection)

The wire contract is tmuxorch.protocol, shared with the server (which this never imports).
"""
