"""The last chunks of a run with workers go out in parts, and every chunk is reassembled whole
and in order (issue 19: the run no longer ends with one worker matching a whole chunk)."""

from __future__ import annotations

from techmatch.matcher.batch.run import TAIL_CHUNKS, TAIL_PARTS, tail_parts


def test_tail_chunks_are_split_and_reassemble_in_order() -> None:
    tasks = [("achievement", [f"n{c}-{i}" for i in range(10)]) for c in range(6)]
    parts = tail_parts(tasks, workers=2)
    split = {c for c, _, _ in parts if sum(1 for d, _, _ in parts if d == c) > 1}
    assert split == set(range(6 - TAIL_CHUNKS * 2, 6))
    assert all(sum(1 for d, _, _ in parts if d == c) == TAIL_PARTS for c in split)
    for c, (kind, ids) in enumerate(tasks):  # each chunk's parts, in order, are the chunk
        mine = [(part, last) for d, part, last in parts if d == c]
        assert [i for (_, piece), _ in mine for i in piece] == ids
        assert [last for _, last in mine] == [False] * (len(mine) - 1) + [True]
        assert all(k == kind for (k, _), _ in mine)
    assert [c for c, _, _ in parts] == sorted(c for c, _, _ in parts)


def test_in_process_and_small_chunks_are_not_split() -> None:
    tasks = [("achievement", ["a", "b"]), ("achievement", ["c"])]
    assert tail_parts(tasks, workers=1) == [(0, tasks[0], True), (1, tasks[1], True)]
    parts = tail_parts(tasks, workers=2)  # fewer ids than parts: one id per part
    assert parts == [(0, ("achievement", ["a"]), False), (0, ("achievement", ["b"]), True),
                     (1, ("achievement", ["c"]), True)]
