"""The TUI's key bindings. Each has an id, so the config's `[keymap]` table can remap it
(`send = "ctrl+s"`), and each is listed by `?` and in the footer."""

from __future__ import annotations

from textual.binding import Binding

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
    Binding("d", "demo", "Demo", show=False, id="demo"),
    Binding("j", "cursor_down", "Down", show=False, id="cursor_down"),
    Binding("k", "cursor_up", "Up", show=False, id="cursor_up"),
    Binding("q", "quit", "Quit", id="quit"),
]

DESCRIPTIONS: dict[str, str] = {
    "send": "Send a message to the selected agents (or the one under the cursor)",
    "broadcast": "Send one message to every agent matching filters",
    "select": "Select or unselect the agent under the cursor",
    "select_all": "Select every agent shown",
    "clear_selection": "Clear the selection",
    "interrupt": "Interrupt the selected agents (Escape or C-c, by kind)",
    "attach": "Attach to the pane (come back with the tmux detach key)",
    "spawn": "Start a new agent in a new window",
    "rename": "Rename the window or session under the cursor",
    "kill": "Kill the pane, window or session under the cursor (asks first)",
    "filter": "Filter the tree by name, kind or state",
    "demo": "Start a demo fleet of simulated agents",
    "cursor_down": "Move down",
    "cursor_up": "Move up",
    "help": "Show all keys",
    "quit": "Quit",
}
