"""Dagster's local compute logs, with its copying processes deaf to a terminal's Ctrl-C.

For each run, Dagster's ``LocalComputeLogManager`` copies the run's stdout and stderr to files
(for the UI) while ``tail -F`` echoes them back to the terminal, and starts a Python watcher per
stream that ends the ``tail`` should the run's process die. A Ctrl-C at a terminal reaches every
process of its foreground group, those watchers among them, and each printed a
``KeyboardInterrupt`` traceback over the load's own one-line message. Here they start with
SIGINT blocked (a process inherits its parent's signal mask), so only the load answers a Ctrl-C;
Dagster still ends them with SIGTERM when the run ends, and the watcher still ends the ``tail``
if the run's process dies. The load's own SIGINT is held for those few milliseconds, not lost.

Used by the instance's ``dagster.yaml`` (``compute_logs``, written by
``pipelines.operating.prepare_instance``).
"""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from typing import Any

from dagster import DagsterInstance, Field, Float, StringSource
from dagster._core.storage.compute_log_manager import CapturedLogContext
from dagster._core.storage.local_compute_log_manager import LocalComputeLogManager
from dagster._serdes import ConfigurableClassData


@contextmanager
def _ctrl_c_held() -> Iterator[None]:
    """SIGINT blocked in this thread (and so in the processes it starts) for the block."""
    before = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, before)


class LocalComputeLogs(LocalComputeLogManager):
    """``LocalComputeLogManager`` whose copying processes ignore a terminal's Ctrl-C; its
    ``base_dir`` defaults to the instance's ``storage`` folder, as Dagster's default does."""

    def __init__(
        self,
        base_dir: str | None = None,
        polling_timeout: float | None = None,
        inst_data: ConfigurableClassData | None = None,
    ) -> None:
        super().__init__(base_dir or "", polling_timeout, inst_data)

    @classmethod
    def config_type(cls) -> dict[str, Any]:
        return {
            "base_dir": Field(StringSource, is_required=False),
            "polling_timeout": Field(Float, is_required=False),
        }

    @classmethod
    def from_config_value(
        cls, inst_data: ConfigurableClassData | None, config_value: Mapping[str, Any]
    ) -> LocalComputeLogs:
        return cls(inst_data=inst_data, **config_value)

    def register_instance(self, instance: DagsterInstance) -> None:
        super().register_instance(instance)
        if not self._base_dir:
            self._base_dir = os.path.join(instance.root_directory, "storage")

    @contextmanager
    def capture_logs(self, log_key: Sequence[str]) -> Iterator[CapturedLogContext]:
        with ExitStack() as stack:
            with _ctrl_c_held():  # the copying processes start here
                captured = stack.enter_context(super().capture_logs(log_key))
            yield captured
