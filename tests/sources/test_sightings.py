"""The window's record sightings: the same answers as a dict of keys, across merges."""

from __future__ import annotations

import random

from pipelines.sources.sightings import Sightings


def _sight(seen: Sightings, page: list[tuple[str, int]]) -> list[int | None]:
    """Each record's earlier digest (None: new, then recorded), as SearchClient reads them."""
    hashes, before = seen.page([key for key, _ in page])
    found = []
    for (_, digest), key_hash, earlier in zip(page, hashes, before, strict=True):
        earlier = earlier if earlier is not None else seen.get(key_hash)
        if earlier is None:
            seen.add(key_hash, digest)
        found.append(earlier)
    return found


def test_pages_across_merges_answer_as_a_dict_of_keys_would() -> None:
    rng = random.Random(5)
    seen, truth = Sightings(), {}
    keys = [f"task-{n}" for n in range(12_000)]
    for _ in range(80):  # ~20,000 sightings: several merges into the sorted arrays
        page = []
        for _ in range(250):
            key = rng.choice(keys)
            page.append((key, truth.get(key, rng.getrandbits(63))))
        page.append(page[0])  # a record twice in one page
        expected = []
        for key, digest in page:
            expected.append(truth.get(key))
            truth.setdefault(key, digest)
        assert _sight(seen, page) == expected
    assert len(seen) == len(truth)
    assert len(seen._recent) < Sightings.MERGE_AT + 251  # the rest lives in the arrays


def test_an_empty_page_and_a_first_page() -> None:
    seen = Sightings()
    assert seen.page([]) == ([], [])
    assert _sight(seen, [("a", 1), ("b", 2)]) == [None, None]
    assert _sight(seen, [("b", 3)]) == [2]


def test_a_page_of_new_keys_is_recorded_at_once_and_any_other_page_not_at_all() -> None:
    rng = random.Random(7)
    seen, truth = Sightings(), {}
    for n in range(40):  # ~10,000 keys: through several merges
        page = [(f"task-{n}-{i}", rng.getrandbits(63)) for i in range(250)]
        assert seen.all_new([k for k, _ in page], [d for _, d in page])
        truth.update(page)
    assert len(seen) == len(truth)
    for again in (
        [("task-3-7", 1)],  # in the sorted arrays
        [("task-39-1", 2)],  # in the recent dict
        [("new-a", 3), ("new-a", 3)],  # twice in the page
    ):
        before = len(seen)
        assert not seen.all_new([k for k, _ in again], [d for _, d in again])
        assert len(seen) == before  # nothing recorded
    page = [("task-3-7", truth["task-3-7"]), ("new-b", 9)]
    assert _sight(seen, page) == [truth["task-3-7"], None]
