"""Captures: the API's limits, pre-signed URLs that really expire, and the resumable download."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from pipelines.sources.errors import ApiError
from pipelines.sources.recordings import IncompleteDownload, RecordingDownloader
from sandbox.model import Tenant
from sandbox.reporting import model
from tests.reporting.support import DAY1, NOW, reporting_client
from tests.support import SEED, TASKS_PER_DAY, ms

TENANT = Tenant(SEED, TASKS_PER_DAY)


def _capture_tasks(n: int) -> list[tuple[str, int]]:
    plans = [
        p for p in model.capture_tasks(TENANT, *DAY1, ms(NOW)) if model.recordings_of(p, ms(NOW))
    ]
    return [(p.id, p.created) for p in plans[:n]]


def _no_capture_task() -> str:
    return next(t["id"] for t in TENANT.tasks(*DAY1, ms(NOW)) if not t["captureRequested"])


def _post(client, body: dict) -> httpx.Response:  # type: ignore[no-untyped-def]
    return client._http.send("POST", "/v1/captures/query", json=body)


def test_the_captures_api_limits(tmp_path: Path) -> None:
    tasks = _capture_tasks(11)
    with reporting_client(tmp_path) as (client, _url, _clock):
        ids = [t for t, _ in tasks]
        too_many = _post(client, {"query": {"taskIds": ids, "urlExpiration": 10}})
        too_long = _post(client, {"query": {"taskIds": ids[:1], "urlExpiration": 61}})
        zero = _post(client, {"query": {"taskIds": ids[:1], "urlExpiration": 0}})
        ok = _post(
            client,
            {
                "query": {
                    "taskIds": [ids[0], "no-such-task", _no_capture_task()],
                    "urlExpiration": 5,
                }
            },
        )
    for refused in (too_many, too_long, zero):
        assert refused.status_code == 400
        body = refused.json()
        assert body["trackingId"] and body["error"]["key"] == "400"
    assert "greater than 0" in zero.json()["error"]["message"][0]["description"]
    data = ok.json()
    assert data["meta"]["urlExpiration"] == 5
    recordings = {d["taskId"]: d["recording"] for d in data["data"]}
    assert len(recordings[ids[0]]) >= 1  # the task that requested capture
    assert recordings["no-such-task"] == [] and recordings[_no_capture_task()] == []
    assert all(d["transcription"] == [] for d in data["data"])


def test_capture_records_match_the_model_and_batch_by_ten(tmp_path: Path) -> None:
    tasks = _capture_tasks(23)
    with reporting_client(tmp_path) as (client, _url, _clock):
        pages = list(client.capture_pages(tasks))
        requests = client.stats.http.requests
    assert len(pages) == 3 and requests == 3  # 10 + 10 + 3 task ids
    got = {(r["taskId"], r["id"]): r for page in pages for r in page}
    created = dict(tasks)
    index = model.CaptureIndex(TENANT)
    want = {
        (rec.task_id, rec.id): rec
        for task_id, _ in tasks
        for rec in model.recordings_of(index.plan(task_id, ms(NOW)), ms(NOW))
    }
    assert set(got) == set(want)
    for key, row in got.items():
        assert row["taskCreatedTime"] == created[key[0]]
        assert row["attributes"]["startTime"] == want[key].start_time
        assert row["attributes"]["fileName"] == want[key].file_name


def test_a_url_works_until_its_recorded_expiry_and_never_after_the_services(
    tmp_path: Path,
) -> None:
    tasks = _capture_tasks(1)
    with reporting_client(tmp_path, client_options={"url_expiration_min": 5}) as (
        client,
        _url,
        clock,
    ):
        sent = clock.time()
        row = next(r for page in client.capture_pages(tasks) for r in page)
        url = row["attributes"]["filePath"]
        expires_s = row["urlExpiresAt"] / 1000
        assert expires_s <= sent + 5 * 60
        plain = httpx.Client()
        clock.set(expires_s - 0.001)  # still valid by our record: the service serves it
        served = plain.get(url)
        clock.set(sent + 5 * 60)  # the service's expiry: refused
        refused = plain.get(url)
        tampered = plain.get(url.replace("Expires=", "Expires=9"))
        plain.close()
    assert served.status_code == 200
    rec = model.recordings_of(model.CaptureIndex(TENANT).plan(tasks[0][0], ms(NOW)), ms(NOW))[0]
    assert served.content == rec.content() and len(served.content) == rec.size
    assert refused.status_code == 403 and "expired" in refused.text
    assert refused.json()["trackingId"]
    assert tampered.status_code == 403


def test_the_download_survives_a_kill_and_resumes(tmp_path: Path) -> None:
    tasks = _capture_tasks(3)
    dest = tmp_path / "recordings"
    index = model.CaptureIndex(TENANT)
    want = {
        r.file_name: r
        for t, _ in tasks
        for r in model.recordings_of(index.plan(t, ms(NOW)), ms(NOW))
    }
    with reporting_client(tmp_path) as (client, _url, _clock):

        def killer(path: Path, have: int) -> None:
            # The process dies in the middle of the second file.
            if list(dest.rglob("*.wav")) and have >= 8192:
                raise KeyboardInterrupt

        with RecordingDownloader(client, dest, chunk_bytes=4096, on_chunk=killer) as first:
            with pytest.raises(KeyboardInterrupt):
                first.download(tasks)
        parts = list(dest.rglob("*.part"))
        assert len(parts) == 1 and parts[0].stat().st_size >= 8192
        done_before = {p.name for p in dest.rglob("*.wav")}
        with RecordingDownloader(client, dest, chunk_bytes=65536) as second:
            stats = second.download(tasks)
    assert stats.skipped == len(done_before) >= 1
    assert stats.resumed == 1
    assert stats.downloaded == len(want) - len(done_before)
    assert not list(dest.rglob("*.part"))
    files = {p.name: p for p in dest.rglob("*.wav")}
    assert set(files) == set(want)
    for name, path in files.items():
        assert path.read_bytes() == want[name].content()


def test_an_expired_url_is_asked_for_again(tmp_path: Path) -> None:
    tasks = _capture_tasks(1)
    with reporting_client(tmp_path, client_options={"url_expiration_min": 2}) as (
        client,
        _url,
        clock,
    ):
        real = client.capture_pages

        def late(batch):  # type: ignore[no-untyped-def]
            for page in real(batch):
                clock.advance(10 * 60)  # the URLs expire before they are used
                yield page

        client.capture_pages = late  # type: ignore[method-assign]
        with RecordingDownloader(client, tmp_path / "rec") as downloader:
            with pytest.raises(ApiError, match="expired"):
                downloader.download(tasks)  # every fresh URL arrives expired too
        client.capture_pages = real  # type: ignore[method-assign]
        with RecordingDownloader(client, tmp_path / "rec") as downloader:
            stats = downloader.download(tasks)
    assert stats.downloaded >= 1 and stats.refreshed == 0


class _Stub:
    """A captures client that hands out one recording at a fixed URL."""

    def __init__(self, url: str) -> None:
        self.url = url

    def capture_pages(self, tasks):  # type: ignore[no-untyped-def]
        for task_id, _ in tasks:
            yield [
                {
                    "taskId": task_id,
                    "id": "r1",
                    "attributes": {"fileName": "r1.wav", "filePath": self.url},
                }
            ]


def test_a_short_body_is_never_renamed_into_place(tmp_path: Path) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"Content-Length": "1000"}, content=b"x" * 10)

    downloader = RecordingDownloader(
        _Stub("https://s3.example/r1.wav?sig=1"),  # type: ignore[arg-type]
        tmp_path,
        transport=httpx.MockTransport(handler),
    )
    with pytest.raises((IncompleteDownload, httpx.HTTPError)):
        downloader.download([("task-1", 0)])
    assert not (tmp_path / "task-1" / "r1.wav").exists()


def test_unsafe_file_names_are_refused(tmp_path: Path) -> None:
    downloader = RecordingDownloader(_Stub("https://s3.example/x"), tmp_path)  # type: ignore[arg-type]
    with pytest.raises(Exception, match="unsafe file name"):
        downloader.download([("../etc", 0)])


_KILLED_DOWNLOAD = """
import os, signal, sys
from pathlib import Path
from pipelines.sources.auth import TokenProvider
from pipelines.sources.http import WxccHttp
from pipelines.sources.recordings import RecordingDownloader
from pipelines.sources.reporting import ReportingClient

url, state, dest = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
tasks = [(t, int(c)) for t, c in (a.split("=") for a in sys.argv[4:])]
tokens = TokenProvider(
    identity_url=url,
    client_id="sandbox-client",
    client_secret="sandbox-secret",
    refresh_token="sandbox-refresh",
    state_dir=state,
)

def die(path, have):
    if list(dest.rglob("*.wav")) and have >= 8192:
        os.kill(os.getpid(), signal.SIGKILL)  # no cleanup, no finally: a real kill

client = ReportingClient(WxccHttp(url, token_provider=tokens))
RecordingDownloader(client, dest, chunk_bytes=4096, on_chunk=die).download(tasks)
"""


def test_the_download_resumes_after_a_real_sigkill(tmp_path: Path) -> None:
    import subprocess
    import sys

    tasks = _capture_tasks(2)
    dest = tmp_path / "recordings"
    with reporting_client(tmp_path) as (client, url, _clock):
        killed = subprocess.run(
            [
                sys.executable,
                "-c",
                _KILLED_DOWNLOAD,
                url,
                str(tmp_path / "state2"),
                str(dest),
                *(f"{t}={c}" for t, c in tasks),
            ],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert killed.returncode == -9, killed.stderr
        [part] = list(dest.rglob("*.part"))
        assert part.stat().st_size >= 8192
        with RecordingDownloader(client, dest) as again:
            stats = again.download(tasks)
    assert stats.resumed == 1 and stats.skipped >= 1
    index = model.CaptureIndex(TENANT)
    for task_id, _ in tasks:
        for rec in model.recordings_of(index.plan(task_id, ms(NOW)), ms(NOW)):
            assert (dest / task_id / rec.file_name).read_bytes() == rec.content()
    assert not list(dest.rglob("*.part"))
