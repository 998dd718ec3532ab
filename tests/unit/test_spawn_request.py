"""The spawn request's `cwd`, `env` and `fleet`: optional, strict, and checked the same by the
client before it sends (request_frame) and by the server when it reads."""

from __future__ import annotations

import json

import pytest

from tmuxorch.core.errors import BadInputError
from tmuxorch.protocol.errors import ProtocolError
from tmuxorch.protocol.requests import SpawnRequest, read_envelope, request_frame, validate_request

BASE = {"session": "work", "command": ["claude"]}


def parsed(**params: object) -> SpawnRequest:
    frame = json.dumps({"type": "request", "id": 1, "op": "spawn", **BASE, **params})
    request = validate_request(read_envelope(frame))
    assert isinstance(request, SpawnRequest)
    return request


def test_cwd_env_and_fleet_are_optional_and_carried_as_given() -> None:
    assert (parsed().cwd, parsed().env, parsed().fleet) == (None, None, None)
    env = {"A": "-x", "B": "#{session_name}", "C": "a;", "_D9": ""}
    request = parsed(cwd="~/proj", env=env, fleet="/home/me/tmuxorch.toml")
    assert (request.cwd, request.env, request.fleet) == ("~/proj", env, "/home/me/tmuxorch.toml")


@pytest.mark.parametrize(
    ("params", "problem"),
    [
        ({"env": {"1A": "x"}}, "env.1A"),
        ({"env": {"A=B": "x"}}, "env.A=B"),
        ({"env": {"A": 1}}, "env.A: Input should be a valid string"),
        ({"env": ["A=1"]}, "env: Input should be a valid dictionary"),
        ({"cwd": ""}, "cwd: String should have at least 1 character"),
        ({"fleet": ""}, "fleet: String should have at least 1 character"),
    ],
)
def test_bad_values_are_refused_at_both_ends(params: dict[str, object], problem: str) -> None:
    with pytest.raises(ProtocolError) as info:
        parsed(**params)
    assert info.value.code == "bad_request"
    assert problem in info.value.message
    with pytest.raises(BadInputError) as refused:
        request_frame(1, "spawn", {**BASE, **params})
    assert problem in str(refused.value)  # the client says what the server would
