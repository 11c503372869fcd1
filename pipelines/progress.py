"""Progress of the windows being loaded, for whoever watches in this process (the CLI's bar).

Assets report each window they land; ``wxcc-warehouse load`` runs jobs in its own process and
listens. Runs launched by the Dagster UI have no listener: their progress is the event log.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

Listener = Callable[[str, str, Any, int], None]  # (asset, org, window, rows)

_listeners: list[Listener] = []
_lock = threading.Lock()


def window_done(asset: str, org: str, window: Any, rows: int) -> None:
    with _lock:
        listeners = list(_listeners)
    for listener in listeners:
        listener(asset, org, window, rows)


@contextmanager
def listening(listener: Listener) -> Iterator[None]:
    with _lock:
        _listeners.append(listener)
    try:
        yield
    finally:
        with _lock:
            _listeners.remove(listener)
