"""The control-mode framer: blocks end only on their own tag, whatever the chunking."""

from __future__ import annotations

from hypothesis import assume, given
from hypothesis import strategies as st

from tmuxorch.core.tmux.framing import ControlFramer, Notification

Block = tuple[bool, bool, list[str]]


def frame(chunks: list[bytes]) -> tuple[list[Block], list[Notification]]:
    blocks: list[Block] = []
    notes: list[Notification] = []
    framer = ControlFramer(lambda *block: blocks.append(block), notes.append)
    for chunk in chunks:
        framer.feed(chunk)
    return blocks, notes


def split(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({c % (len(data) + 1) for c in cuts})
    return [data[a:b] for a, b in zip([0, *points], [*points, len(data)], strict=True)]


STREAM = (
    b"%begin 100 0 0\n%end 100 0 0\n"  # the attach's reply: not ours
    b"%session-changed $1 _tmuxorch\n"
    b"%begin 100 7 1\nalpha\n%end 100 8 1\n%error 99 7 1\n%end 100 7 1\nbeta\n\n%end 100 7 1\n"
    b"%window-add @3\n"
    b"%begin 100 9 1\n%error 100 9 1\n"  # an empty, failed reply
    b"%begin 100 10 1\n\xff caf\xc3\xa9 \xe2\x9c\x93\n%end 100 10 1\n"
    b"%begin 100 11 1\n\n%end 100 11 1\n"  # one empty line
)


def test_blocks_end_on_their_own_tag_only() -> None:
    blocks, notes = frame([STREAM])
    # `%end 100 7 1` ends block 7 the first time it appears: "beta" is then stray text between
    # blocks (tmux never writes that), ignored, and the second `%end 100 7 1` too.
    assert blocks == [
        (False, True, []),
        (True, True, ["alpha", "%end 100 8 1", "%error 99 7 1"]),
        (True, False, []),
        (True, True, ["\ufffd café ✓"]),
        (True, True, [""]),
    ]
    assert notes == [
        Notification("session-changed", "$1 _tmuxorch"),
        Notification("end", "100 7 1"),
        Notification("window-add", "@3"),
    ]


@given(st.lists(st.integers(min_value=0, max_value=len(STREAM)), max_size=40))
def test_any_chunking_frames_the_same(cuts: list[int]) -> None:
    assert frame(split(STREAM, cuts)) == frame([STREAM])


@given(
    st.lists(
        st.text(
            st.characters(blacklist_characters="\n", blacklist_categories=("Cs",)), max_size=30
        ),
        max_size=20,
    ),
    st.lists(st.integers(min_value=0), max_size=20),
)
def test_reply_lines_come_through_unchanged(lines: list[str], cuts: list[int]) -> None:
    assume("%end 5 6 1" not in lines)
    body = b"".join(line.encode() + b"\n" for line in lines)
    data = b"%begin 5 6 1\n" + body + b"%end 5 6 1\n%exit\n"
    blocks, notes = frame(split(data, cuts))
    assert blocks == [(True, True, lines)]
    assert notes == [Notification("exit", "")]


def test_a_partial_end_line_waits_for_its_newline() -> None:
    blocks: list[Block] = []
    framer = ControlFramer(lambda *block: blocks.append(block), lambda _n: None)
    framer.feed(b"%begin 1 2 1\nx\n%end 1 2 1")
    assert blocks == []
    framer.feed(b"\n")
    assert blocks == [(True, True, ["x"])]
