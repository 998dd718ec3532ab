"""What the schedules and queue panel (tui/screens/plans.py) asks for, done on the Backend: the
app opens it for its current targets and this reads the fleet's schedules and tasks, shows them,
adds or cancels what was chosen (through the app's one way of acting) and shows them again."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

from tmuxorch.core.backend import Backend
from tmuxorch.core.errors import TmuxorchError
from tmuxorch.core.schedules.when import trigger_of_words
from tmuxorch.tui.screens.plans import PlanChoice, PlanPrompt, PlansScreen

WHEN_HINT = "when: 30m, at 14:30, every 1h, cron 0 9 * * 1-5, or idle"
KIND_HINT = "kind (claude, codex…; empty: any agent)"
Push = Callable[[Any], Awaitable[Any]]
Act = Callable[..., Awaitable[None]]


class Plans:
    def __init__(self, backend: Backend, push: Push, act: Act, say: Callable[[str, bool], None]):
        self.backend, self._push, self._act, self._say = backend, push, act, say

    async def open(self, targets: list[str]) -> None:
        """Until the panel is closed: show, do what it says, show again."""
        while True:
            try:
                schedules, tasks = await self.backend.schedules(), await self.backend.queue()
            except TmuxorchError as exc:
                self._say(str(exc), False)
                return
            who = " ".join(targets) or "(no agent: move to one or select some)"
            choice: PlanChoice | None = await self._push(PlansScreen(schedules, tasks, who))
            if choice is None:
                return
            await self._do(choice, targets)

    async def _do(self, choice: PlanChoice, targets: list[str]) -> None:
        if choice.action == "cancel_schedule":
            await self._act(self.backend.schedule_cancel(choice.number),
                            lambda s: f"schedule {s.id} cancelled")  # fmt: skip
        elif choice.action == "cancel_task":
            await self._act(self.backend.queue_cancel(choice.number),
                            lambda t: f"task {t.id} cancelled")  # fmt: skip
        elif choice.action == "add_schedule":
            if not targets:
                self._say("A check-in needs an agent: move to one or select some", False)
                return
            asked = PlanPrompt("A check-in for " + " ".join(targets), "when", WHEN_HINT)
            given = await self._push(asked)
            if given is not None:
                await self._add_schedule(targets, *given)
        else:
            given = await self._push(
                PlanPrompt("A task for the next idle agent", "kind", KIND_HINT)
            )
            if given is not None:
                message, kind = given
                await self._act(self.backend.queue_add(message, kind=kind or None),
                                lambda t: f"task {t.id} queued")  # fmt: skip

    async def _add_schedule(self, targets: list[str], message: str, when: str) -> None:
        try:
            trigger = trigger_of_words(when, time.time())
        except TmuxorchError as exc:
            self._say(str(exc), False)
            return
        await self._act(self.backend.schedule_add(targets, message, trigger),
                        lambda s: f"schedule {s.id} added: {s.trigger.describe()}")  # fmt: skip
