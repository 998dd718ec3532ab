"""Rich text rendered into Textual strips, the one way every Line API widget of ours does it.

Why Rich's own rendering: Textual's `Static` turns each update into its `Content` and renders
that again for every repaint (profiled: a fifth of the TUI's time for two one-line widgets);
a strip made once from the text is kept until the text changes. Our Line API widgets style
their lines with `visual_style.rich_style` (Textual caches it), never `rich_style` (recomputed
through every ancestor on each call: 66 µs a line, most of a cached line's cost).
"""

from __future__ import annotations

from rich.console import Console
from rich.text import Text
from textual.strip import Strip


def strip_of(console: Console, text: Text) -> Strip:
    """One line of text, whole (its base style included), never wrapped.

    The text's own segments (3x faster than Rich's line rendering, which splits, crops and pads
    for nothing here); a line holding a newline or a tab takes Rich's way, which copes.
    """
    if "\n" in text.plain or "\t" in text.plain:
        options = console.options.update(
            width=max(1, text.cell_len), overflow="ignore", no_wrap=True
        )
        return Strip(console.render_lines(text, options, pad=False)[0], text.cell_len)
    return Strip([s for s in text.render(console, end="") if s.text], text.cell_len)


def wrapped(console: Console, text: Text, width: int) -> list[Strip]:
    """`text` wrapped to `width`, a strip per line. A line that fits is that line: Rich's
    wrapping splits it into words and joins them again (the header, shown anew on every state
    change, spent most of its time there)."""
    if text.cell_len <= width and "\n" not in text.plain and "\t" not in text.plain:
        return [strip_of(console, text)]
    return [strip_of(console, line) for line in text.wrap(console, max(1, width))]
