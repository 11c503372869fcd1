"""``paging.prefetched``: pages come in order from a thread of their own, errors reach the
consumer at the page where they happened, and a consumer that stops early stops the producer."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from pipelines.sources.errors import MalformedResponse
from pipelines.sources.paging import prefetched


def test_pages_arrive_in_order_from_another_thread() -> None:
    producers: list[str] = []

    def pages() -> Iterator[list[int]]:
        for n in range(5):
            producers.append(threading.current_thread().name)
            yield [n, n + 1]

    assert list(prefetched(pages(), name="pages-test")) == [[n, n + 1] for n in range(5)]
    assert set(producers) == {"pages-test"}


def test_an_error_of_the_producer_is_raised_after_the_pages_before_it() -> None:
    def pages() -> Iterator[int]:
        yield 1
        yield 2
        raise MalformedResponse("page 3: the answer has no data object")

    got: list[int] = []
    with pytest.raises(MalformedResponse, match="page 3: the answer has no data object"):
        for page in prefetched(pages()):
            got.append(page)
    assert got == [1, 2]


def test_stopping_early_closes_the_producer_and_its_thread() -> None:
    closed = threading.Event()
    made: list[int] = []

    def pages() -> Iterator[int]:
        try:
            for n in range(1000):
                made.append(n)
                yield n
        finally:
            closed.set()

    fetched = prefetched(pages(), depth=1, name="pages-early")
    assert next(fetched) == 0
    fetched.close()
    assert closed.is_set()  # close() returns after the producer closed its pages
    assert len(made) <= 3  # the page handed over, one waiting, one being made
    assert not [t for t in threading.enumerate() if t.name == "pages-early"]


def test_an_empty_source_gives_no_pages() -> None:
    assert list(prefetched(iter(()))) == []
