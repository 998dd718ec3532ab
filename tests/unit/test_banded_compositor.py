"""The banded compositor paints exactly what Textual's own compositor paints, for any set of
changed regions on the real main screen, while rendering only the changed lines."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rich.console import Console
from rich.segment import Segment
from textual._compositor import ChopsUpdate, Compositor
from textual.geometry import Region

from tmuxorch.tui.app import TmuxorchApp
from tmuxorch.tui.banded_compositor import BandedCompositor, _inside, _merged, bands
from tmuxorch.tui.widgets.fleet_header import FleetHeader

from ..conftest import until
from ..tui_fakes import FIXED_TIME, FakeBackend

SIZE = (120, 36)


def test_bands_are_runs_of_adjacent_lines() -> None:
    assert list(bands([])) == []
    assert list(bands([5])) == [(5, 6)]
    assert list(bands([0, 1, 2, 7, 9, 8, 35])) == [(0, 3), (7, 10), (35, 36)]


def test_spans_merge_and_contain() -> None:
    assert _merged([(5, 9), (0, 3), (3, 4), (8, 12)]) == [(0, 4), (5, 12)]
    assert _inside([(0, 4), (5, 12)], 5, 12)
    assert not _inside([(0, 4), (5, 12)], 3, 6)  # across the gap at 4
    assert not _inside([], 0, 1)


def painted(update: ChopsUpdate | None, console: Console) -> list[Segment]:
    """What the update writes, without cursor moves that paint nothing before the next move
    (Textual moves to a chop that starts right where a changed span ends, then writes none
    of it; ours does not render that chop at all)."""
    assert update is not None
    segments = list(update.__rich_console__(console, console.options))
    return [
        segment
        for segment, after in zip(segments, [*segments[1:], None], strict=True)
        if not (segment.control and (after is None or after.control or after.text == "\n"))
    ]


regions = st.lists(
    st.builds(
        Region,
        st.integers(0, SIZE[0] - 1),
        st.integers(0, SIZE[1] - 1),
        st.integers(1, SIZE[0]),
        st.integers(1, 6),
    ),
    min_size=1,
    max_size=4,
)


async def test_a_partial_frame_matches_textuals_own() -> None:
    app = TmuxorchApp(FakeBackend(), clock=lambda: FIXED_TIME)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.fleet is not None and len(app._table.keys) > 3)
        await pilot.pause()
        compositor = app.screen._compositor
        assert isinstance(compositor, BandedCompositor)
        console = Console(width=SIZE[0], force_terminal=True, color_system="truecolor")

        @settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
        @given(regions)
        def check(dirty: list[Region]) -> None:
            screen = compositor.size.region
            clipped = {r.intersection(screen) for r in dirty} - {Region()}
            compositor._dirty_regions.update(clipped)
            ours = painted(compositor.render_partial_update(), console)
            compositor._dirty_regions.update(clipped)
            theirs = painted(Compositor.render_partial_update(compositor), console)
            assert ours == theirs

        check()


async def test_a_header_change_renders_the_header_alone() -> None:
    app = TmuxorchApp(FakeBackend(), clock=lambda: FIXED_TIME)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.fleet is not None and len(app._table.keys) > 3)
        await pilot.pause()
        rendered: list[str] = []
        for widget in app.screen.walk_children():
            render_lines = widget.render_lines

            def recording(crop: Region, _w: object = widget, _r=render_lines) -> object:  # type: ignore[no-untyped-def]
                rendered.append(type(_w).__name__)
                return _r(crop)

            widget.render_lines = recording  # type: ignore[method-assign]
        header = app.screen.query_one(FleetHeader)
        header.refresh()
        app.screen._compositor.update_widgets({header})
        assert app.screen._compositor.render_partial_update() is not None
        assert rendered == ["FleetHeader"]
        rendered.clear()
        table = app._table
        table.refresh_line(3)
        app.screen._compositor.update_widgets({table})
        assert app.screen._compositor.render_partial_update() is not None
        assert "FleetTable" in rendered
        assert not {"MainScreen", "Horizontal", "Vertical"} & set(rendered)  # hidden behind
        assert "PanePreview" not in rendered  # beside the row, on its lines, but unchanged
