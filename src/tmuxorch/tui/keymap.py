"""The TUI's key bindings. Each has an id, so the config's `[keymap]` table can remap it
(`send = "ctrl+s"`), and each is listed by `?` and in the footer; a group of bindings that do
one thing with a number (the answer keys) is one line of `?`, made from the bindings themselves,
so the line follows a remap."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping

from textual.app import SystemCommand
from textual.binding import Binding
from textual.keys import REPLACED_KEYS, Keys, key_to_character

ANSWER = Binding.Group("Answer the question with that choice")
"""The digit keys: one line of `?` says what they do."""

BINDINGS: list[Binding] = [
    # Help comes first: on a narrow terminal the footer cuts off the last keys, and `?` lists
    # them all.
    Binding("question_mark", "help", "Help", id="help"),
    Binding("s", "send", "Send", id="send"),
    Binding("b", "broadcast", "Broadcast", id="broadcast"),
    Binding("space", "toggle_select", "Select", id="select"),
    Binding("a", "select_all", "All", id="select_all"),
    Binding("escape", "clear_selection", "Clear selection", show=False, id="clear_selection"),
    Binding("i", "interrupt", "Interrupt", id="interrupt"),
    Binding("enter", "attach", "Attach", id="attach"),
    Binding("n", "spawn", "New", id="spawn"),
    Binding("r", "rename", "Rename", id="rename"),
    Binding("x", "kill", "Kill", id="kill"),
    Binding("slash", "filter", "Filter", id="filter"),
    Binding("w", "next_needing", "Needs you", id="next_needing"),
    Binding("p", "plans", "Plans", id="plans"),
    Binding("o", "toggle_order", "Order", show=False, id="toggle_order"),
    Binding("z", "zoom_preview", "Zoom", show=False, id="zoom_preview"),
    Binding("d", "demo", "Demo", show=False, id="demo"),
    Binding("j", "cursor_down", "Down", show=False, id="cursor_down"),
    Binding("k", "cursor_up", "Up", show=False, id="cursor_up"),
    Binding("q", "quit", "Quit", id="quit"),
    *(
        Binding(str(n), f"answer({n})", f"Answer {n}", show=False, id=f"answer_{n}", group=ANSWER)
        for n in range(1, 6)
    ),
]

DESCRIPTIONS: dict[str, str] = {
    "send": "Send a message to the selected agents (or the one under the cursor)",
    "broadcast": "Send one message to every agent matching filters",
    "select": "Select or unselect the agent under the cursor",
    "select_all": "Select every agent shown",
    "clear_selection": "Clear the selection",
    "interrupt": "Interrupt the selected agents (Escape or C-c, by kind)",
    "attach": "Attach to the pane (inside tmux: switch to it, prefix L or l comes back)",
    "spawn": "Start a new agent in a new window",
    "rename": "Rename the window or session under the cursor",
    "kill": "Kill the pane, window or session under the cursor (asks first)",
    "filter": "Filter the tree by name, kind or state",
    "next_needing": "Jump to the next agent that needs you (waiting, then error)",
    "plans": "Schedules and tasks: add a check-in for these agents, queue a task, cancel one",
    "zoom_preview": "Zoom the preview to the full width, its history scrolling (z again: back)",
    "toggle_order": "Needs-you order (waiting, error, idle after work, busy, idle) or the tree",
    "demo": "Start a demo fleet of simulated agents",
    "cursor_down": "Move down",
    "cursor_up": "Move up",
    "help": "Show all keys",
    **{
        f"answer_{n}": f"Answer choice {n} of the question the detail strip shows"
        for n in range(1, 6)
    },
    "quit": "Quit",
}

MODIFIERS = frozenset({"ctrl", "shift", "alt", "meta", "super", "hyper"})
NAMED_KEYS = frozenset(k.value for k in Keys if "+" not in k.value and not k.value.startswith("<"))


def _canonical(key: str) -> str | None:
    """`key` as one spelling (`?` and `question_mark` are one key), or None if Textual would
    never send it (a typo, an empty part, an unknown modifier)."""
    *modifiers, name = key.split("+")
    if not name or any(m not in MODIFIERS for m in modifiers):
        return None
    if len(name) == 1 and name.isprintable():
        return "+".join([*modifiers, name])
    if name in NAMED_KEYS:
        return key
    character = key_to_character(REPLACED_KEYS.get(name, name))  # `slash` is Unicode's solidus
    return None if character is None else "+".join([*modifiers, character])


def check_keymap(keymap: Mapping[str, str]) -> None:
    """Raise ValueError (`keymap.ID: what is wrong`) for a remap that cannot work: an unknown
    binding id, a key Textual never sends, or a key another binding keeps (Textual would take
    it from that one, leaving its action without a key, e.g. `send = "q"` drops Quit)."""
    ids = [b.id for b in BINDINGS if b.id is not None]
    unknown = sorted(set(keymap) - set(ids))
    if unknown:
        raise ValueError(f"keymap.{unknown[0]}: unknown binding id (the ids: {', '.join(ids)})")
    owner: dict[str, str] = {}
    for binding in BINDINGS:
        assert binding.id is not None
        remapped = binding.id in keymap
        for key in keymap.get(binding.id, binding.key).split(","):
            canonical = _canonical(key.strip())
            if canonical is None:
                raise ValueError(
                    f"keymap.{binding.id}: {key.strip()!r} is not a key "
                    "(e.g. s, S, ctrl+s, f5, escape, question_mark)"
                )
            other = owner.setdefault(canonical, binding.id)
            if other != binding.id:
                mapped = binding.id if remapped else other
                taken = other if remapped else binding.id
                raise ValueError(
                    f"keymap.{mapped}: {key.strip()!r} is also the key of {taken}: "
                    f"give {taken} another key too"
                )


def key_rows(
    keymap: Mapping[str, str], display: Callable[[Binding], str]
) -> Iterator[tuple[str, str, str]]:
    """(keys, ids, description) of every binding, remaps applied ([keymap] takes the id), the
    keys as `display` shows them; the bindings of a group are one row, where its first one is
    (`1-5  answer_1-5  Answer the question with that choice`)."""
    shown = [
        (binding, display(binding.with_key(keymap.get(binding.id, binding.key))))
        for binding in BINDINGS
        if binding.id is not None
    ]
    done: set[Binding.Group] = set()
    for binding, keys in shown:
        assert binding.id is not None
        if binding.group is None:
            yield keys, binding.id, DESCRIPTIONS[binding.id]
        elif binding.group not in done:
            done.add(binding.group)
            members = [(k, b.id or "") for b, k in shown if b.group == binding.group]
            yield (
                _span([k for k, _ in members]),
                _span([i for _, i in members]),
                binding.group.description,
            )


def _span(values: list[str]) -> str:
    """`1-5` for `1 2 3 4 5`, `answer_1-5` for `answer_1 … answer_5`; a list when they are
    not a run of numbers (a remapped key)."""
    parts = [re.fullmatch(r"(.*?)(\d+)", value) for value in values]
    if len(values) > 1 and all(parts) and len({p.group(1) for p in parts if p}) == 1:
        numbers = [int(p.group(2)) for p in parts if p]
        if numbers == list(range(numbers[0], numbers[0] + len(numbers))):
            return f"{values[0]}-{numbers[-1]}"
    return ", ".join(values)


def palette_commands(run: Callable[[str], object]) -> Iterator[SystemCommand]:
    """Every binding's action as a command of the palette (ctrl+p), `run` running it."""
    for binding in BINDINGS:
        assert binding.id is not None
        action = binding.action
        yield SystemCommand(
            binding.description or binding.id,
            DESCRIPTIONS[binding.id],
            lambda action=action: run(action),
        )
