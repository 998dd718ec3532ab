"""A restart policy and what applying it did: plain models, shared by the Backend, the protocol
(`spawn`'s `restart`) and core/ops/restarts.py, which applies them."""

from __future__ import annotations

from typing import Literal

from tmuxorch.core.errors import BadInputError
from tmuxorch.core.frozen import Frozen, frozen_model

MAX_RESTARTS = 1000
RestartWhen = Literal["on-failure", "always"]


@frozen_model
class RestartPolicy(Frozen):
    """When an exited agent is started again: on a non-zero exit (or a signal), or always;
    at most `max_restarts` times (None: no limit)."""

    when: RestartWhen
    max_restarts: int | None = None

    def __post_init__(self) -> None:
        if self.max_restarts is not None and not 0 <= self.max_restarts <= MAX_RESTARTS:
            raise BadInputError(f"--max-restarts {self.max_restarts}: from 0 to {MAX_RESTARTS}")


@frozen_model
class Revival(Frozen):
    """What `revive` did to a dead pane: started it again (the count now), or why not."""

    pane_id: str
    restarted: bool
    restarts: int
    reason: str = ""
    status: int | None = None
    """The exit status it was found dead with (None: alive, gone, or killed by a signal)."""
