"""Window files on an S3-compatible server (moto, started here): a load equals the truth.

The server is a real one in a process of its own (``moto_server``), reached over HTTP by
pyarrow's S3 client exactly as a bucket on AWS or MinIO would be.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest
from pyarrow import fs as pafs

from sandbox.truth import write_truth
from tests.e2e.truth_compare import differences
from tests.support import Pipeline, ms, point_at, sandbox
from warehouse import land, objects, store
from warehouse.paths import WarehousePaths
from warehouse.publish import publish
from warehouse.schemas import TABLES, TASK

NOW = "2026-11-20T15:30:00"
BUCKET = "wxcc-test"
# Fake credentials for the local server; the canary proves they are never written anywhere.
SECRET = "CANARY-S3-SECRET-51d0b2"
TASKS_PER_DAY = 100  # values, not volume: small keeps the test fast


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    """A local S3-compatible server on a free port, for this module's tests."""
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "moto_server"), "-H", "127.0.0.1", "-p", "0"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stderr is not None
        for line in server.stderr:
            found = re.search(r"Running on (http://127\.0\.0\.1:\d+)", line)
            if found:
                break
        else:
            pytest.fail("moto_server did not start")
        yield found[1]
    finally:
        server.terminate()
        server.wait()


@pytest.fixture
def storage(s3_endpoint: str, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest):  # noqa: ANN201
    """A fresh bucket prefix per test, credentials only in the AWS SDK's variables."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    endpoint = s3_endpoint.removeprefix("http://")
    admin = pafs.S3FileSystem(endpoint_override=endpoint, scheme="http", region="us-east-1")
    if admin.get_file_info(BUCKET).type == pafs.FileType.NotFound:
        pafs.S3FileSystem(
            endpoint_override=endpoint,
            scheme="http",
            region="us-east-1",
            allow_bucket_creation=True,
        ).create_dir(BUCKET)
    prefix = re.sub(r"[^a-z0-9]+", "-", request.node.name.lower()).strip("-")
    return objects.ObjectStore(f"s3://{BUCKET}/{prefix}", s3_endpoint)


def _point_storage_at(monkeypatch: pytest.MonkeyPatch, store_: objects.ObjectStore) -> None:
    monkeypatch.setenv("WXCC_STORAGE_URL", store_.url)
    assert store_.endpoint_url is not None
    monkeypatch.setenv("WXCC_S3_ENDPOINT_URL", store_.endpoint_url)


def _objects(store_: objects.ObjectStore) -> set[str]:
    listed = store_.filesystem().get_file_info(
        pafs.FileSelector(f"{store_.bucket}/{store_.prefix}", recursive=True, allow_not_found=True)
    )
    return {objects.SCHEME + i.path for i in listed if i.type == pafs.FileType.File}


def _files_containing(root: Path, needle: str) -> list[str]:
    return [
        str(p.relative_to(root))
        for p in root.rglob("*")
        if p.is_file() and needle.encode() in p.read_bytes()
    ]


def test_two_days_with_window_files_on_s3_equal_truth(
    pipeline: Pipeline,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    storage: objects.ObjectStore,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level("DEBUG")
    _point_storage_at(monkeypatch, storage)
    with sandbox(NOW, tasks_per_day=TASKS_PER_DAY) as url:
        point_at(monkeypatch, url)
        results = pipeline.load("2026-11-18", "2026-11-19")
    assert [r.success for r in results] == [True, True]

    truth = tmp_path / "truth"
    write_truth(
        truth,
        seed=42,
        tasks_per_day=TASKS_PER_DAY,
        now_ms=ms(NOW),
        from_ms=ms("2026-11-18T00:00:00"),
        to_ms=ms("2026-11-20T00:00:00"),
        families=("search",),
    )
    db = pipeline.data_dir / "warehouse.duckdb"
    for name, table in TABLES.items():
        assert differences(db, truth / f"{name}.parquet", table) == {}, name

    # The store names objects in the bucket, every one of them there; the only others are
    # versions retired by a rebuild (a mart's day is built twice) and kept for the grace period.
    store_path = pipeline.data_dir / "store" / "warehouse.sqlite"
    current = store.current_files(store_path)
    named = {f for files in current.values() for f in files}
    assert named and all(f.startswith(f"s3://{BUCKET}/{storage.prefix}/") for f in named)
    assert len(current["search.task"]) == 2  # one file a day
    with closing(sqlite3.connect(store_path)) as con:
        retired = {p for (p,) in con.execute("SELECT path FROM retired")}
    assert _objects(storage) == named | retired
    assert not list((pipeline.data_dir / "parquet").rglob("*.partial"))

    # Another machine: the store and the bucket, no local files. Publishing mirrors the
    # versions it lists, and its warehouse equals the truth too.
    other = tmp_path / "other"
    shutil.copytree(pipeline.data_dir / "store", other / "store")
    elsewhere = WarehousePaths(other, storage)
    assert publish(elsewhere)
    for name, table in TABLES.items():
        assert differences(other / "warehouse.duckdb", truth / f"{name}.parquet", table) == {}
    assert len(list((other / "parquet").rglob("*.parquet.v"))) == len(named)

    # The credentials stayed in the environment: not in run config, events, logs or files.
    assert SECRET not in caplog.text
    assert _files_containing(pipeline.dagster_home, SECRET) == []
    assert _files_containing(pipeline.data_dir, SECRET) == []
    assert os.environ["AWS_SECRET_ACCESS_KEY"] == SECRET


def test_a_window_is_current_on_s3_only_once_every_file_is_put(
    tmp_path: Path, storage: objects.ObjectStore
) -> None:
    """A failed upload leaves the window as it was: no file named, no stray object."""
    import pyarrow as pa

    paths = WarehousePaths(tmp_path, storage)
    start, end = ms("2026-11-18T00:00:00"), ms("2026-11-19T00:00:00")

    def rows(n: int) -> pa.Table:
        columns = {f.name: pa.nulls(n, f.type) for f in TASK.arrow}
        columns["org_id"] = pa.array(["org-a"] * n)
        columns["id"] = pa.array([f"t{i}" for i in range(n)])
        columns["created_time"] = pa.array([start + i for i in range(n)], pa.int64()).cast(
            TASK.arrow.field("created_time").type
        )
        return pa.table(columns, schema=TASK.arrow)

    first = land.land_window(paths, TASK, "org-a", start, end, rows(3))
    assert first.rows == 3
    [before] = store.current_files(paths.store_path)["search.task"]
    assert _objects(storage) == {before}

    broken = WarehousePaths(
        tmp_path, objects.ObjectStore("s3://no-such-bucket/x", storage.endpoint_url)
    )
    with pytest.raises(OSError):
        land.land_window(broken, TASK, "org-a", start, end, rows(5))
    assert store.current_files(paths.store_path)["search.task"] == [before]
    assert list((tmp_path / "parquet").rglob("*.parquet.v")) == [paths.mirror_path(before)]

    # A reload replaces the version; the old one stays (a reader may hold it) until the grace.
    land.land_window(paths, TASK, "org-a", start, end, rows(5))
    [after] = store.current_files(paths.store_path)["search.task"]
    assert after != before and _objects(storage) == {before, after}
    publish(paths, now=10**10, grace_seconds=0)
    assert _objects(storage) == {after}
    assert not paths.mirror_path(before).exists()
