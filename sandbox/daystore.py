"""Simulated days kept on disk, so a second process (or the next test) starts with them.

A day is a pure function of the seed, the volume (``tasks_per_day``) and the simulation's code;
nothing else (the API families' options only change how records are served). So a day written
once is read back by any later process with the same three, whatever it serves:
``<dir>/<code digest>/seed<S>-tasks<N>/<day>.pickle``. The code digest covers the source of
the modules the simulation runs, the pickle format and the Python version, so a changed
simulation never reads an old day (old digests' folders are pruned with the rest).

The files are pickles of the day (entities, which are rebuilt from the seed, are written as
references, not copies), written to a temporary name and renamed into place, so a reader sees a
whole file or none; a file that cannot be read is removed and the day simulated again. The
folder is kept under ``max_bytes`` by removing the least recently read days. Reading a day back
takes about half of simulating it (~10 us a task against ~20; pickle rebuilds ~20 objects a
task) and writing it about two thirds (~13 us, paid by the first process to serve the day):
what a warm process saves is the simulation, not the rendering. A day is written as its
columns (``DayPlan.__reduce__``), gathered in C rather than by a Python call per task.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import logging
import os
import pickle
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sandbox.entities import Agent, Code, Entities, EntryPoint, Flow, Queue, Site, Skill, Team
from sandbox.timeline import DayPlan

log = logging.getLogger(__name__)

FORMAT = 2  # bump when the file layout changes (2: a day pickled as columns, DayPlan.__reduce__)
DEFAULT_MAX_BYTES = 8 * 1024**3
ENV_DIR = "WXCC_SANDBOX_CACHE_DIR"
# The modules whose code decides a simulated day (entities, arrivals, the timeline).
_SIMULATION_MODULES = ("clock.py", "entities.py", "timeline.py")
_ENTITY_TYPES = (Agent, Code, EntryPoint, Flow, Queue, Site, Skill, Team)

# Entities of the tenants whose days are being read, by (seed, tasks_per_day): a day's entity
# references resolve to the reading tenant's own objects.
_ENTITIES: dict[tuple[int, int], Entities] = {}
_ENTITIES_LOCK = threading.Lock()


def code_digest() -> str:
    """What a cached day depends on besides seed and volume: the simulation's source, the
    file format and the Python version (``random``'s algorithms and pickle's format)."""
    h = hashlib.sha256(f"format {FORMAT} python {sys.version_info[:2]}".encode())
    here = Path(__file__).parent
    for name in _SIMULATION_MODULES:
        h.update(name.encode())
        h.update((here / name).read_bytes())
    return h.hexdigest()[:16]


def default_dir() -> Path:
    """``$WXCC_SANDBOX_CACHE_DIR``, else the user's cache directory (``~/.cache/wxcc-sandbox``
    on Linux)."""
    given = os.environ.get(ENV_DIR)
    if given:
        return Path(given)
    from platformdirs import user_cache_path

    return user_cache_path("wxcc-sandbox", appauthor=False)


def _entity(seed: int, tasks_per_day: int, entity_id: str) -> Any:  # noqa: ANN401
    return _ENTITIES[(seed, tasks_per_day)].by_id[entity_id]


def _pickler(file: io.BytesIO, seed: int, tasks_per_day: int) -> pickle.Pickler:
    """A pickler writing entities as references: every tenant rebuilds them from the seed, so
    a day read back points at the reading tenant's own objects (each entity written once;
    pickle's memo shares it). A dispatch table, not a hook called for every object, keeps
    the rest of the day on pickle's C path."""

    def reference(obj: Any) -> tuple[Any, ...]:  # noqa: ANN401
        return _entity, (seed, tasks_per_day, obj.id)

    pickler = pickle.Pickler(file, protocol=5)
    pickler.dispatch_table = {t: reference for t in _ENTITY_TYPES}
    return pickler


class DayStore:
    """Days of one tenant (seed, volume) on disk under ``root``."""

    def __init__(
        self,
        root: Path,
        entities: Entities,
        seed: int,
        tasks_per_day: int,
        *,
        max_bytes: int = DEFAULT_MAX_BYTES,
    ) -> None:
        self.root = Path(root)
        self.seed = seed
        self.tasks_per_day = tasks_per_day
        self.max_bytes = max_bytes
        self.dir = self.root / code_digest() / f"seed{seed}-tasks{tasks_per_day}"
        self.loaded = self.saved = 0
        with _ENTITIES_LOCK:
            _ENTITIES[(seed, tasks_per_day)] = entities

    def path(self, day: int) -> Path:
        return self.dir / f"{day}.pickle"

    def load(self, day: int) -> DayPlan | None:
        """The day as written, or None (not on disk, or unreadable: then removed)."""
        path = self.path(day)
        try:
            data = path.read_bytes()
        except OSError:
            return None
        try:
            plan = pickle.loads(data)  # noqa: S301 - the user's own cache, written by save()
            if not isinstance(plan, DayPlan) or plan.day != day:
                raise ValueError(f"{path} holds another day")
        except Exception as exc:  # a torn or foreign file: simulate the day again
            log.warning("ignoring unreadable cached day %s: %s", path, exc)
            path.unlink(missing_ok=True)
            return None
        try:
            os.utime(path)  # read recently: pruned last
        except OSError:
            pass
        self.loaded += 1
        return plan

    def save(self, plan: DayPlan) -> None:
        """Write the day (atomically: a temporary file renamed into place), then prune.
        A disk that refuses is logged and ignored: the cache is an optimization."""
        buf = io.BytesIO()
        _pickler(buf, self.seed, self.tasks_per_day).dump(plan)
        path = self.path(plan.day)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        try:
            self.dir.mkdir(parents=True, exist_ok=True)
            tmp.write_bytes(buf.getbuffer())
            os.replace(tmp, path)
        except OSError as exc:
            log.warning("cannot keep simulated day %s on disk: %s", plan.day, exc)
            # The same disk may refuse this too (a cache folder under a file: ENOTDIR).
            with contextlib.suppress(OSError):
                tmp.unlink(missing_ok=True)
            return
        self.saved += 1
        self.prune()

    def prune(self) -> None:
        """Remove the least recently read days (of any tenant or code version under ``root``)
        until the folder holds at most ``max_bytes``."""
        files: list[tuple[float, int, Path]] = []
        for path in self.root.glob("*/*/*.pickle"):
            try:
                st = path.stat()
            except OSError:
                continue
            files.append((st.st_mtime, st.st_size, path))
        total = sum(size for _t, size, _p in files)
        for _mtime, size, path in sorted(files):
            if total <= self.max_bytes:
                break
            path.unlink(missing_ok=True)
            total -= size


def cached(simulate: Callable[[int], DayPlan], store: DayStore | None) -> Callable[[int], DayPlan]:
    """``simulate(day)``, reading the day from ``store`` first and writing it there after."""
    if store is None:
        return simulate

    def day(d: int) -> DayPlan:
        plan = store.load(d)
        if plan is None:
            plan = simulate(d)
            store.save(plan)
        return plan

    return day
