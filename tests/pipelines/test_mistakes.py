"""A user's mistakes and a machine's accidents reach the user as one sentence, never a traceback.

Each case here printed a traceback (or loaded something wrong) before docs/operating.md's work.
"""

from __future__ import annotations

import dataclasses
import errno
import socket
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from pipelines import cli, prestart
from pipelines.cli import main
from pipelines.operating import describe_os_error, repair_derived_state
from pipelines.settings import load_settings
from tests.support import Pipeline, point_at, sandbox
from warehouse import duck, ops, store
from warehouse.paths import WarehousePaths

NOW = "2026-11-20T15:30:00Z"


@pytest.fixture
def env(pipeline: Pipeline, monkeypatch: pytest.MonkeyPatch) -> Pipeline:
    monkeypatch.setenv("WXCC_NOW", NOW)
    return pipeline


@pytest.fixture
def config_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[[str | bytes], Path]:
    """Call it with a ``WXCC_CONFIG`` document: written to ``wxcc.yaml``, which the variable
    then names."""

    def write(text: str | bytes) -> Path:
        path = tmp_path / "wxcc.yaml"
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text)
        monkeypatch.setenv("WXCC_CONFIG", str(path))
        return path

    return write


def _one_line(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    assert "Traceback" not in err[0]
    return err[0]


@pytest.mark.parametrize(
    "argv, said",
    [
        (
            ["load", "--from", "2023-12-30", "--to", "2024-01-02"],
            "--from 2023-12-30 is before the configured start date 2024-01-01 (WXCC_START_DATE",
        ),
        (["load", "--last-days", "99999999"], "--last-days 99999999: give 1 to 3660 days"),
        (["load", "--last-days", "0"], "--last-days 0: give 1 to"),
        (["load", "--from", "2030-01-01", "--to", "2030-01-02"], "is in the future"),
        (
            ["load", "--from", "2026-11-19", "--to", "2026-11-23"],
            "--to 2026-11-23 is in the future",
        ),
        (["load", "--today", "--last-days", "2"], "give --today alone"),
    ],
)
def test_a_bad_range_is_one_sentence(
    env: Pipeline, argv: list[str], said: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 2
    assert said in _one_line(capsys)


def test_a_data_directory_or_dagster_home_that_is_a_file_is_named(
    env: Pipeline,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    afile = tmp_path / "afile"
    afile.write_text("not a directory")
    monkeypatch.setenv("WXCC_DATA_DIR", str(afile))
    assert main(["load", "--from", "2026-11-18", "--to", "2026-11-19"]) == 2
    line = _one_line(capsys)
    assert f"WXCC_DATA_DIR is {afile}, which is a file, not a directory" in line
    monkeypatch.setenv("WXCC_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("DAGSTER_HOME", str(afile))
    assert main(["load", "--from", "2026-11-18", "--to", "2026-11-19"]) == 2
    assert f"DAGSTER_HOME is {afile}, which is a file" in _one_line(capsys)


def test_a_config_or_env_file_that_is_not_utf8_is_named(
    env: Pipeline,
    config_file: Callable[[str | bytes], Path],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    config = config_file(b"start_date: 2025-01-01 # \xe9t\xe9\n")
    assert main(["load", "--last-days", "1"]) == 2
    assert f"{config} (WXCC_CONFIG) is not UTF-8 text" in _one_line(capsys)
    monkeypatch.delenv("WXCC_CONFIG")
    (tmp_path / ".env").write_bytes(b"WXCC_DATA_DIR=caf\xe9\n")  # the working directory's
    assert main(["load", "--last-days", "1"]) == 2
    assert ".env is not UTF-8 text" in _one_line(capsys)


@pytest.mark.parametrize(
    "config, source, said",
    [
        (
            "cad_variables: foo\n",
            "search",
            "cad_variables must be a list of {name, type} entries, not 'foo'",
        ),
        ("cad_variables: [1]\n", "search", "cad_variables[0] must have a name and a type, got 1"),
        (
            "wfo_reports: foo\n",
            "wfo",
            "wfo_reports must be a list of report entries (mappings), not 'foo'",
        ),
        (
            "start_date: 2025-02-30\n",
            "search",
            "{path} (WXCC_CONFIG): a value written as a date or time is not one (day is out of "
            "range for month): correct it, or quote it",
        ),
    ],
)
def test_a_config_value_of_the_wrong_shape_is_one_sentence_before_any_window(  # noqa: PLR0913
    env: Pipeline,
    config_file: Callable[[str | bytes], Path],
    capsys: pytest.CaptureFixture[str],
    config: str,
    source: str,
    said: str,
) -> None:
    """`cad_variables: foo` failed every Search window in turn (exit 1), naming 'f';
    `wfo_reports: foo` was an unexpected TypeError; an impossible date, a bare ValueError."""
    path = config_file(config)
    assert main(["load", "--last-days", "1", "--source", source]) == 2
    assert _one_line(capsys) == f"wxcc-warehouse: {said.replace('{path}', str(path))}"
    assert ops.latest_attempts(WarehousePaths(env.data_dir)) == []


def test_a_relative_dagster_home_is_taken_from_the_working_directory(
    env: Pipeline, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """`DAGSTER_HOME=dagster` was Dagster's 'must be an absolute path', reported as an
    unexpected error."""
    monkeypatch.setenv("DAGSTER_HOME", "relative-home")  # the fixture works in tmp_path
    with sandbox(NOW.removesuffix("Z"), tasks_per_day=20) as url:
        point_at(monkeypatch, url)
        assert (
            main(["load", "--from", "2026-11-18", "--to", "2026-11-19", "--source", "reporting"])
            == 0
        )
    assert (tmp_path / "relative-home" / "dagster.yaml").is_file()


def test_a_data_directory_or_config_starting_with_a_tilde_is_under_home(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """`WXCC_DATA_DIR="~/wxcc"` in a .env (quoted, or any .env: no shell expands it) made a
    folder named `~` in the working directory."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    (tmp_path / "home").mkdir()
    (tmp_path / "home" / "wxcc.yaml").write_text("start_date: 2025-01-01\n")
    settings = load_settings(
        {"WXCC_DATA_DIR": "~/wxcc", "WXCC_CONFIG": "~/wxcc.yaml"}, dotenv=False
    )
    assert settings.data_dir == tmp_path / "home" / "wxcc"
    assert settings.config_file == tmp_path / "home" / "wxcc.yaml"


def test_a_config_path_that_is_a_directory_or_missing_is_named(
    env: Pipeline,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A directory was said not to exist."""
    monkeypatch.setenv("WXCC_CONFIG", str(tmp_path))
    assert main(["load", "--last-days", "1"]) == 2
    assert _one_line(capsys) == (
        f"wxcc-warehouse: WXCC_CONFIG names {tmp_path}, which is a directory: name the YAML file"
    )
    monkeypatch.setenv("WXCC_CONFIG", str(tmp_path / "wxcc.yml"))
    assert main(["load", "--last-days", "1"]) == 2
    assert _one_line(capsys).endswith("wxcc.yml, which does not exist")


def test_the_ui_on_a_port_in_use_is_refused_before_anything_starts(
    env: Pipeline, capsys: pytest.CaptureFixture[str]
) -> None:
    """`dagster dev` whose webserver could not bind logged one line and ran on without a UI,
    while the URL announced showed whatever held the port."""
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        port = held.getsockname()[1]
        assert main(["ui", "--port", str(port)]) == 75
    assert _one_line(capsys) == (
        f"wxcc-warehouse: port {port} on 127.0.0.1 is in use (Address already in use): another "
        "`wxcc-warehouse ui` (`make ui`) or another server holds it; stop it, or give --port "
        "with a free port"
    )
    assert main(["ui", "--port", "70000"]) == 2
    assert _one_line(capsys) == "wxcc-warehouse: --port 70000: give a port from 1 to 65535"
    assert not (env.data_dir / "warehouse.duckdb").exists()  # no load began


def test_a_boolean_budget_is_refused_by_name(
    env: Pipeline,
    config_file: Callable[[str | bytes], Path],
    capsys: pytest.CaptureFixture[str],
) -> None:
    config_file("orgs:\n  - name: acme\n    requests_per_minute: true\n")
    assert main(["load", "--last-days", "1"]) == 2
    assert "requests_per_minute (WXCC_CONFIG) must be a whole number" in _one_line(capsys)


def test_a_misspelt_top_level_config_key_is_refused_not_ignored(
    env: Pipeline,
    config_file: Callable[[str | bytes], Path],
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`org:` for `orgs:` was ignored: the load went to the embedded sandbox as org default."""
    config = config_file("org:\n  - name: acme\nstart_date: 2025-01-01\n")
    assert main(["load", "--last-days", "1"]) == 2
    line = _one_line(capsys)
    assert f"{config} (WXCC_CONFIG): unknown top-level key 'org' (did you mean 'orgs'?)" in line
    assert not (env.data_dir / "warehouse.duckdb").exists()


def test_an_org_whose_credential_variables_are_unset_is_refused_before_any_window(
    env: Pipeline,
    config_file: Callable[[str | bytes], Path],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Every window of the org failed in turn, logged failed, exit 1, as if the API had."""
    config_file(
        "orgs:\n  - name: acme\n    client_id_env: ACME_ID\n"
        "    client_secret_env: ACME_SECRET\n    refresh_token_env: ACME_TOKEN\n"
    )
    monkeypatch.setenv("ACME_ID", "an-id")
    assert main(["load", "--last-days", "2", "--source", "search"]) == 2
    assert _one_line(capsys) == (
        "wxcc-warehouse: org acme: ACME_SECRET, ACME_TOKEN not set: set the OAuth "
        "integration's credentials in these variables"
    )
    assert ops.latest_attempts(WarehousePaths(env.data_dir)) == []
    # Its lanes started ahead ended with it: the next load in this process (a scheduler's, a
    # test's) took one, whose definitions had read this configuration, and it failed ("the
    # lane's process ended: ['default']").
    assert prestart._started == []


@pytest.mark.parametrize(
    "variable, value, source, setting",
    [
        ("WXCC_API_URL", "localhost:8080", "search", "the API URL (WXCC_API_URL or api_url)"),
        ("WXCC_API_URL", "http://", "search", "the API URL (WXCC_API_URL or api_url)"),
        (
            "WXCC_IDENTITY_URL",
            "webexapis.com",
            "reporting",
            "the identity URL (WXCC_IDENTITY_URL or identity_url)",
        ),
        ("WXCC_LEGACY_URL", "ftp://records", "legacy", "the legacy URL (WXCC_LEGACY_URL or "),
        ("WFO_URL", "wfo.example.com/api", "wfo", "the wfo URL (WFO_URL or wfo_url)"),
    ],
)
def test_a_url_without_a_scheme_or_host_is_refused_before_any_window(  # noqa: PLR0913
    env: Pipeline,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    variable: str,
    value: str,
    source: str,
    setting: str,
) -> None:
    """`WXCC_API_URL=localhost:8080` failed every window in turn, each logged failed, exit 1."""
    monkeypatch.setenv("WXCC_API_URL", "https://api.example.com")
    monkeypatch.setenv("WXCC_ORG_ID", "org-1")  # the legacy records and WFO need no sign-in
    for name in ("WXCC_CLIENT_ID", "WXCC_CLIENT_SECRET", "WXCC_REFRESH_TOKEN"):
        monkeypatch.setenv(name, "set")
    monkeypatch.setenv(variable, value)
    assert main(["load", "--last-days", "1", "--source", source]) == 2
    line = _one_line(capsys)
    assert line.startswith(f"wxcc-warehouse: org default: {setting}"), line
    assert line.endswith(f"such as https://api.wxcc-us1.cisco.com; got {value!r}")
    assert ops.latest_attempts(WarehousePaths(env.data_dir)) == []


@pytest.mark.parametrize(
    "config, said",
    [
        ("    api_url: 123\n", "orgs[0]: api_url must be text, not 123 (quote it in the YAML)"),
        ("    org_id: [1, 2]\n", "orgs[0]: org_id must be text, not [1, 2]"),
        (
            '    client_id_env: ""\n',
            "orgs[0]: client_id_env must name an environment variable (letters, digits, '_'), "
            "not ''",
        ),
    ],
)
def test_an_org_key_of_the_wrong_type_is_refused_by_name(
    env: Pipeline,
    config_file: Callable[[str | bytes], Path],
    capsys: pytest.CaptureFixture[str],
    config: str,
    said: str,
) -> None:
    """`api_url: 123` was an unexpected AttributeError; `org_id: [1, 2]` failed every window
    with a ProgrammingError from the extraction log's insert."""
    path = config_file("orgs:\n  - name: acme\n" + config)
    assert main(["load", "--last-days", "1", "--source", "legacy"]) == 2
    assert _one_line(capsys) == f"wxcc-warehouse: {path}: {said}"
    assert ops.latest_attempts(WarehousePaths(env.data_dir)) == []


@pytest.mark.parametrize(
    "source, unset, said",
    [
        ("legacy", "WXCC_LEGACY_API_KEY", "the legacy record API needs WXCC_LEGACY_API_KEY"),
        ("wfo", "WFO_PASSWORD", "WFO needs WFO_PASSWORD"),
    ],
)
def test_unset_legacy_or_wfo_credentials_are_said_before_any_window(  # noqa: PLR0913
    env: Pipeline,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    source: str,
    unset: str,
    said: str,
) -> None:
    monkeypatch.setenv("WXCC_API_URL", "https://api.example.com")
    monkeypatch.setenv("WXCC_ORG_ID", "org-1")
    for name in ("WXCC_LEGACY_API_KEY", "WXCC_LEGACY_USER_ID", "WXCC_LEGACY_TENANT_ID"):
        monkeypatch.setenv(name, "set")
    for name in ("WFO_USER", "WFO_PASSWORD"):
        monkeypatch.setenv(name, "set")
    monkeypatch.delenv(unset)
    assert main(["load", "--last-days", "1", "--source", source]) == 2
    assert _one_line(capsys) == f"wxcc-warehouse: org default: {said}: set them"
    assert ops.latest_attempts(WarehousePaths(env.data_dir)) == []


def test_without_legacy_or_wfo_credentials_a_load_of_all_sources_still_lands_the_rest(
    env: Pipeline, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A tenant with only its OAuth integration: `load` (every source, the default) lands
    Search and reporting; the legacy and WFO windows fail, named, as before."""
    with sandbox(NOW.removesuffix("Z"), tasks_per_day=20) as url:
        point_at(monkeypatch, url)
        for name in ("WXCC_LEGACY_API_KEY", "WFO_PASSWORD"):  # the OAuth credentials only
            monkeypatch.delenv(name)
        assert main(["load", "--from", "2026-11-18", "--to", "2026-11-19", "--no-progress"]) == 1
    assert "the legacy record API needs WXCC_LEGACY_API_KEY" in capsys.readouterr().err
    states = {
        (a.asset.split(".")[0], a.status) for a in ops.latest_attempts(WarehousePaths(env.data_dir))
    }
    assert {("search", "success"), ("reporting", "success")} <= states, states
    assert not {("search", "failure"), ("reporting", "failure"), ("legacy", "success")} & states


def test_an_unknown_legacy_format_is_refused_before_any_window(
    env: Pipeline, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """WXCC_LEGACY_FORMAT=xml failed every legacy window in turn, status 1."""
    monkeypatch.setenv("WXCC_LEGACY_FORMAT", "xml")
    assert main(["load", "--last-days", "1", "--source", "legacy"]) == 2
    assert _one_line(capsys) == "wxcc-warehouse: WXCC_LEGACY_FORMAT must be json or csv, not 'xml'"
    assert ops.latest_attempts(WarehousePaths(env.data_dir)) == []


def test_machine_failures_read_as_sentences() -> None:
    full = OSError(errno.ENOSPC, "No space left on device", "/data/parquet/x.parquet")
    assert describe_os_error(full) == (
        "the disk is full (/data/parquet/x.parquet): free some space and run again "
        "(a re-run resumes)"
    )
    assert "read-only" in describe_os_error(OSError(errno.EROFS, "Read-only file system", "/d"))
    assert cli.exit_code(full) == 1


def test_an_unexpected_error_is_one_line_and_debug_shows_the_traceback(
    env: Pipeline, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def broken(_args: object) -> int:
        raise RuntimeError("something nobody foresaw")

    monkeypatch.setattr(cli, "_status", broken)
    assert main(["status"]) == 1
    line = _one_line(capsys)
    assert line == (
        "wxcc-warehouse: unexpected RuntimeError: something nobody foresaw; run again with "
        "--debug (or WXCC_DEBUG=1) for the traceback and report it"
    )
    assert main(["status", "--debug"]) == 1
    assert "Traceback (most recent call last)" in capsys.readouterr().err
    monkeypatch.setenv("WXCC_DEBUG", "1")
    assert main(["status"]) == 1
    assert "Traceback (most recent call last)" in capsys.readouterr().err


def test_a_damaged_published_file_is_moved_aside_and_written_again_from_the_store(
    env: Pipeline,
) -> None:
    paths = WarehousePaths(env.data_dir)
    ops.record(paths, _attempt("search.task_details", "2026-11-16", "failure", "AuthError: no"))
    paths.published_path.write_bytes(b"this is not a DuckDB file" * 400)
    said = repair_derived_state(env.data_dir)
    assert len(said) == 1 and f"{paths.published_path} did not open" in said[0]
    assert (env.data_dir / "warehouse.duckdb.damaged").exists()
    with duck.connect(paths.published_path, read_only=True) as con:
        rows = con.execute("SELECT status, error FROM ops.extraction_log").fetchall()
    assert rows == [("failure", "AuthError: no")]
    assert repair_derived_state(env.data_dir) == []  # whole again: nothing to do


def test_commits_a_failed_publish_left_are_published_by_the_next_load(env: Pipeline) -> None:
    """A full disk can fail the publish after every window committed: the next load skips
    those windows (complete), so it must publish them before it lands anything (issue 18)."""
    paths = WarehousePaths(env.data_dir)
    ops.record(paths, _attempt("search.task_details", "2026-11-16", "failure", "AuthError: no"))
    assert repair_derived_state(env.data_dir)  # nothing published yet: written
    ops.record(paths, _attempt("search.task_details", "2026-11-17", "failure", "Later: yes"))
    with duck.connect(paths.published_path, read_only=True) as con:
        assert con.execute("SELECT count(*) FROM ops.extraction_log").fetchone() == (1,)
    store.commit_window(paths.store_path, "org", 0, 86_400_000, [])  # committed, unpublished
    assert repair_derived_state(env.data_dir) == []  # quietly: a publish, not a repair
    with duck.connect(paths.published_path, read_only=True) as con:
        assert con.execute("SELECT count(*) FROM ops.extraction_log").fetchone() == (2,)


def test_a_damaged_instance_says_how_to_recover_without_losing_the_warehouse(
    env: Pipeline,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    home = tmp_path / "home"
    (home / "history").mkdir(parents=True)
    (home / "history" / "runs.db").write_bytes(b"garbage, not SQLite" * 100)
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    assert main(["load", "--from", "2026-11-18", "--to", "2026-11-19", "--no-progress"]) == 1
    line = _one_line(capsys)
    assert f"the Dagster instance at {home} (DAGSTER_HOME) is damaged" in line
    assert f"mv {home} {home}.damaged" in line and "the warehouse" in line


def _attempt(
    asset: str, day: str, status: str, error: str | None = None, n: int = 0
) -> ops.Attempt:
    start = datetime.fromisoformat(f"{day}T00:00:00+00:00")
    stamp = datetime(2026, 11, 20, 12, n, tzinfo=UTC)
    return ops.Attempt(
        asset=asset,
        org_id="org-1",
        org="default",
        window_start=start,
        window_end=start.replace(day=start.day + 1),
        run_id=f"run-{n}",
        started=stamp,
        finished=stamp,
        status=status,
        error=error,
    )


def test_a_sign_in_that_failed_under_a_mistyped_org_id_does_not_block_later_loads(
    env: Pipeline, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A failed attempt logged under a wrong org id (WXCC_ORG_ID mistyped, then mended) made
    every later load fail at the marts: 'org default has windows under several org ids'."""
    build = WarehousePaths(env.data_dir)
    mistyped = _attempt("search.task_details", "2026-11-18", "failure", "AuthError: no", 1)
    ops.record(build, dataclasses.replace(mistyped, org_id="mistyped-org-id"))
    with sandbox(NOW.removesuffix("Z"), tasks_per_day=20) as url:
        point_at(monkeypatch, url)
        argv = ["load", "--from", "2026-11-18", "--to", "2026-11-19", "--no-progress"]
        assert main([*argv, "--source", "search"]) == 0, capsys.readouterr().err
    assert ops.org_ids(build, "default", landed_only=True) != ["mistyped-org-id"]
    with duck.connect(build.published_path, read_only=True) as con:
        assert con.execute("SELECT count(*) FROM analytics.queue_interval_15m").fetchone()[0] > 0


def test_status_answers_on_every_state_a_load_can_leave(
    env: Pipeline, capsys: pytest.CaptureFixture[str]
) -> None:
    """A window whose only attempt failed crashed status with AttributeError."""
    assert main(["status"]) == 0
    assert "No extraction has been logged" in capsys.readouterr().out
    build = WarehousePaths(env.data_dir)
    ops.record(build, _attempt("search.task_details", "2026-11-16", "failure", "AuthError: no", 1))
    assert main(["status"]) == 0
    out = capsys.readouterr().out
    assert "complete through - (0 day(s) complete)" in out
    assert "failed 2026-11-16: search.task_details: AuthError: no" in out
    for n, (day, status) in enumerate(
        [("2026-11-17", "running"), ("2026-11-19", "open"), ("2026-11-15", "success")], start=2
    ):
        ops.record(build, _attempt("search.task_details", day, status, n=n))
    assert main(["status"]) == 0
    out = capsys.readouterr().out
    assert "open (not settled; every plain load refreshes them): 2026-11-19" in out
    assert "failed 2026-11-17: search.task_details: unfinished: the load stopped" in out
    assert "gaps: 2026-11-18" in out
    # The success of 2026-11-15 has no Parquet file: a gap to reload, not a complete day.
    assert "failed 2026-11-15: search.task_details: its Parquet file is missing" in out
    assert (
        "to fill: wxcc-warehouse load --source search --org default --from 2026-11-15 --to 2026-11-20"
        in out
    )


def test_status_after_a_load_that_failed_at_sign_in_names_the_failure(
    env: Pipeline, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A load that failed before any window (no extraction-log row) left status saying only
    that nothing was logged."""
    with sandbox(NOW.removesuffix("Z"), tasks_per_day=20) as url:
        point_at(monkeypatch, url)
        monkeypatch.setenv("WXCC_CLIENT_SECRET", "not-the-secret")
        argv = ["load", "--from", "2026-11-18", "--to", "2026-11-19", "--no-progress"]
        assert main([*argv, "--source", "search"]) == 1
    reason = _one_line(capsys).removeprefix("wxcc-warehouse: ")
    assert "not-the-secret" not in reason
    assert main(["status"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == f"Last load 2026-11-20T15:30:00+00:00: {reason}", out
    assert reason.startswith("search window 2026-11-18 (org default) failed: AuthError: "), reason


def test_status_answers_when_the_configuration_is_broken(
    env: Pipeline,
    config_file: Callable[[str | bytes], Path],
    capsys: pytest.CaptureFixture[str],
) -> None:
    config = config_file("orgs: [unclosed\n")
    assert main(["status"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"Configuration: {config} is not valid YAML")
    assert "No extraction has been logged" in out


def test_status_says_a_data_directory_that_is_a_file(
    env: Pipeline,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    a_file = tmp_path / "data-file"
    a_file.write_text("")
    monkeypatch.setenv("WXCC_DATA_DIR", str(a_file))
    assert main(["status"]) == 1  # not "no extraction has been logged in <file>/...: run load"
    out = capsys.readouterr().out
    assert out == f"The data directory {a_file} (WXCC_DATA_DIR) is a file, not a directory.\n"


def test_status_answers_while_another_process_writes_the_store(
    env: Pipeline, capsys: pytest.CaptureFixture[str]
) -> None:
    """A load holds the store's write lock for moments at a time; status only reads (WAL)."""
    paths = WarehousePaths(env.data_dir)
    ops.record(paths, _attempt("search.task_details", "2026-11-16", "success", n=1))
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(paths.store_path)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "holding"
        assert main(["status"]) == 0
        out = capsys.readouterr().out
        # no Parquet file here: shown as a window to reload
        assert "failed 2026-11-16: search.task_details: its Parquet file is missing" in out
    finally:
        holder.kill()
        holder.wait()


HOLD = """
import sys, sqlite3
con = sqlite3.connect(sys.argv[1], isolation_level=None)
con.execute("BEGIN IMMEDIATE")
print("holding", flush=True)
import signal
signal.pause()
"""
