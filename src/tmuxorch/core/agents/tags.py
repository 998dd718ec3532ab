"""What a tracker reads once per pane: our pane options and, for a dead pane, how it ended.

`@tmuxorch-agent` is the kind `spawn` tagged a pane with. `@tmuxorch-since` ("STATE TIME") is
when a watching tmuxorch saw the pane's state begin, so a one-shot `status` later says since
when, as long as the state is still the one recorded; tmux itself knows when a dead pane's
process exited and what it was started with.
"""

from __future__ import annotations

from collections.abc import Sequence

from tmuxorch.core.frozen import Frozen, frozen_record
from tmuxorch.core.models import AGENT_STATES, typing_aliases
from tmuxorch.core.tmux.snapshot import SEPARATOR

TYPE_CHECKING = False  # typing costs every one-shot command ~2.5 ms (core/fields.py)
if TYPE_CHECKING:
    from tmuxorch.core.models import AgentState

__annotation_names__ = typing_aliases  # what its annotations name (core/fields.py)

AGENT_OPTION = "@tmuxorch-agent"
SINCE_OPTION = "@tmuxorch-since"
TAG_FORMAT = SEPARATOR.join((
    "#{pane_id}", f"#{{{AGENT_OPTION}}}", f"#{{{SINCE_OPTION}}}",
    "#{?pane_dead,#{pane_dead_time},}", "#{?pane_dead,#{pane_start_command},}",
))  # fmt: skip
TAG_LISTING = ["list-panes", "-a", "-F", TAG_FORMAT]
"""Every pane's tags at once: what a tracker that knows no pane yet reads."""
_STATES: tuple[AgentState, ...] = AGENT_STATES


@frozen_record
class Listed(Frozen):
    """What `TAG_FORMAT` says of one pane."""

    tag: str = ""
    recorded: tuple[AgentState, float] | None = None
    started: tuple[str, ...] = ()


def parse_listed(fields: Sequence[str]) -> Listed:
    """One line of `TAG_FORMAT` (after the pane id); anything malformed is left out."""
    tag, record, dead_time, start = (*fields, "", "", "", "")[:4]
    recorded: tuple[AgentState, float] | None = None
    state, _, at = record.partition(" ")
    if dead_time.isdigit():
        recorded = ("exited", float(dead_time))
    elif state in _STATES and at.replace(".", "", 1).isdigit():
        recorded = (state, float(at))
    return Listed(tag, recorded, _start_argv(start))


def _start_argv(command: str) -> tuple[str, ...]:
    """The argv of `pane_start_command` (tmux quotes each argument); one argument is a command
    tmux ran through `sh -c`, so it is split once more. Listed for dead panes only: a fleet
    with none imports no shlex (issue 17)."""
    if not command:
        return ()
    import shlex

    try:
        argv = shlex.split(command)
        if len(argv) == 1:
            argv = shlex.split(argv[0])
    except ValueError:
        return ()
    return tuple(argv)
