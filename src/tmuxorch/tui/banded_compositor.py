"""A compositor that paints a frame's changed lines by rendering only those lines.

Why: Textual paints a partial frame by rendering every widget that overlaps the *union* of the
changed regions, each of them whole (its cached lines walked, cropped and divided), then keeps
the changed lines. One agent's state change touches the header (top line), one table row and the
event log (bottom lines): their union is the whole screen, so every such frame rendered the whole
screen (profiled: 6 ms per frame beside a working fleet, most of the TUI's time). Here the
changed lines are split into bands of adjacent lines and each band renders only the widgets it
crosses that nothing in front hides (containers behind their children are skipped), only on its
lines, and only where a changed span meets it: a table row changing renders that row, not the
preview beside it, whose cached lines Textual would otherwise walk, crop and divide again for a
frame that never paints them (ChopsUpdate writes only the spans). A state change then renders a
few lines, not the screen.

This leans on Textual's private compositor (`_dirty_regions`, `_regions_to_spans`, `cuts`,
`visible_widgets`, `ChopsUpdate`, and how `_render_chops` fills a line front to back), pinned by
the `textual` range in pyproject.toml, and
checked against Textual's own full render in tests/unit/test_banded_compositor.py: when a
Textual upgrade changes those, the tests say so rather than the screen.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from textual._compositor import ChopsUpdate, Compositor
from textual.geometry import Region
from textual.strip import Strip


def bands(lines: Iterable[int]) -> Iterator[tuple[int, int]]:
    """Runs of consecutive line numbers as (first, past-the-last), in order."""
    first = last = None
    for y in sorted(set(lines)):
        if last is not None and y == last + 1:
            last = y
            continue
        if first is not None and last is not None:
            yield first, last + 1
        first = last = y
    if first is not None and last is not None:
        yield first, last + 1


class BandedCompositor(Compositor):
    """Textual's compositor, painting partial frames band by band."""

    def render_partial_update(self) -> ChopsUpdate | None:
        regions = self._dirty_regions.copy()
        self._dirty_regions.clear()
        cuts = self.cuts
        spans = [span for span in self._regions_to_spans(regions) if 0 <= span[0] < len(cuts)]
        if not spans:
            return None
        changed = sorted({y for y, _, _ in spans})
        chops: dict[int, dict[int, Strip | None]] = {
            y: dict.fromkeys(cuts[y][:-1]) for y in changed
        }
        by_line: dict[int, list[tuple[int, int]]] = {}
        for y, x1, x2 in spans:
            by_line.setdefault(y, []).append((x1, x2))
        for first, end in bands(changed):
            for region, strips in self._band_renders(first, end, by_line):
                first_cut, last_cut = region.column_span
                for y, strip in zip(region.line_range, strips, strict=False):  # as Textual
                    line = chops[y]
                    ours = [cut for cut in cuts[y] if first_cut <= cut <= last_cut]
                    pieces = strip.divide([cut - region.x for cut in ours[1:]])
                    for cut, piece in zip(ours, pieces, strict=False):  # a short strip: fewer
                        if line.get(cut) is None:  # front to back: the first piece wins
                            line[cut] = piece
        chop_ends = {y: cuts[y][1:] for y in changed}
        # ChopsUpdate reads only the changed lines' entries: mappings by line number will do.
        return ChopsUpdate(chops, spans, chop_ends)  # type: ignore[arg-type]

    def _band_renders(
        self, first: int, end: int, spans: dict[int, list[tuple[int, int]]]
    ) -> Iterator[tuple[Region, list[Strip]]]:
        """The part of the screen on lines [first, end) of each widget there that nothing in
        front of it hides and a changed span (`spans`: (x1, x2) by line) meets, with its strips
        for the lines from the first to the last it meets only."""
        band = Region(0, first, self.size.width, end - first)
        covered: dict[int, list[tuple[int, int]]] = {}
        for widget, (region, clip) in self.visible_widgets.items():  # front to back
            x, y, w, h = region.intersection(clip).intersection(band)
            lines = range(y, y + h)
            if not (w and h) or all(_inside(covered.get(n, []), x, x + w) for n in lines):
                continue
            met = [n for n in lines if any(a < x + w and x < b for a, b in spans.get(n, ()))]
            if met:  # else it hides what is behind it, on lines nobody paints this frame
                top, bottom = met[0], met[-1] + 1
                shown = Region(x, top, w, bottom - top)
                yield (
                    shown,
                    widget.render_lines(Region(x - region.x, top - region.y, w, shown.height)),
                )
            for n in lines:
                covered[n] = _merged([*covered.get(n, []), (x, x + w)])


def _inside(spans: list[tuple[int, int]], start: int, end: int) -> bool:
    """Whether [start, end) lies within one of `spans` (merged, so never across two)."""
    return any(first <= start and end <= last for first, last in spans)


def _merged(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """`spans` sorted, the overlapping and touching ones joined."""
    joined: list[tuple[int, int]] = []
    for first, last in sorted(spans):
        if joined and first <= joined[-1][1]:
            joined[-1] = (joined[-1][0], max(last, joined[-1][1]))
        else:
            joined.append((first, last))
    return joined
