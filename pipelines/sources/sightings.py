"""The records a Search window has received, to tell a record answered twice from a new one.

A window's pages can answer a record again (offset paging shifts, piece boundaries): the client
keeps, per record key, a digest of the record's bytes, and drops a repeat or fails the window
when the record came back changed (``SearchClient._first_sighting``). A dict of key strings to
digests cost ~150 bytes a record, which ``bench_search_memory`` saw grow with the window (~12 MiB
at 80,000 records). Here a key is kept as its 64-bit ``hash`` beside its digest in two sorted
numpy arrays (16 bytes a record), the last few thousand in a dict until they are merged. Two keys
of one window with the same hash would be taken for one record: odds ~n^2 / 2^65, 3e-10 for a
100,000-record window.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

_EMPTY = np.empty(0, dtype=np.int64)


class Sightings:
    """Per record key (by hash), the digest of the record's bytes as first received."""

    MERGE_AT = 4096  # entries kept in the dict before they move into the sorted arrays

    def __init__(self) -> None:
        self._recent: dict[int, int] = {}
        self._keys = _EMPTY  # sorted key hashes
        self._digests = _EMPTY  # the digest of each, in that order

    def __len__(self) -> int:
        return len(self._recent) + len(self._keys)

    def page(self, keys: Sequence[object]) -> tuple[list[int], list[int | None]]:
        """For a page's record keys: their hashes, and the digest recorded for each before this
        page (None: not received yet). Call :meth:`get` for a key the page itself may have
        recorded (a record twice in one page)."""
        if len(self._recent) >= self.MERGE_AT:
            self._merge()
        hashes = [hash(key) for key in keys]
        if not len(self._keys) or not hashes:
            return hashes, [self._recent.get(h) for h in hashes]
        wanted = np.array(hashes, dtype=np.int64)
        at = np.minimum(np.searchsorted(self._keys, wanted), len(self._keys) - 1)
        found = (self._keys[at] == wanted).tolist()
        digests = self._digests[at].tolist()
        recent = self._recent
        return hashes, [
            d if hit else recent.get(h) for h, hit, d in zip(hashes, found, digests, strict=True)
        ]

    def all_new(self, keys: Sequence[object], digests: Sequence[int]) -> bool:
        """Record a page's keys with their digests if every key is new to the window and once
        in the page (the rule), and say so; otherwise record nothing (the caller then goes
        record by record with :meth:`page`, to drop repeats or name a changed record)."""
        if len(self._recent) >= self.MERGE_AT:
            self._merge()
        hashes = list(map(hash, keys))
        if len(set(hashes)) != len(hashes) or not self._recent.keys().isdisjoint(hashes):
            return False
        if len(self._keys) and hashes:
            wanted = np.array(hashes, dtype=np.int64)
            at = np.minimum(np.searchsorted(self._keys, wanted), len(self._keys) - 1)
            if (self._keys[at] == wanted).any():
                return False
        self._recent.update(zip(hashes, digests, strict=True))
        return True

    def get(self, key_hash: int) -> int | None:
        """The digest recorded for a key hash since the last :meth:`page` (else None)."""
        return self._recent.get(key_hash)

    def add(self, key_hash: int, digest: int) -> None:
        self._recent[key_hash] = digest

    def _merge(self) -> None:
        n = len(self._recent)
        keys = np.concatenate([self._keys, np.fromiter(self._recent, dtype=np.int64, count=n)])
        digests = np.concatenate(
            [self._digests, np.fromiter(self._recent.values(), dtype=np.int64, count=n)]
        )
        order = np.argsort(keys, kind="stable")
        self._keys, self._digests = keys[order], digests[order]
        self._recent = {}
