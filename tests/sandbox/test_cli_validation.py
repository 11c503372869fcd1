"""``wxcc-sandbox``: a bad option or config file is one sentence and exit status 2."""

from __future__ import annotations

from pathlib import Path

import pytest

from sandbox.cli import main


@pytest.mark.parametrize(
    "option, value, said",
    [
        ("--now", "yesterday", "--now 'yesterday' is not an ISO 8601 instant"),
        ("--port", "70000", "--port must be a whole number from 0 to 65535, not 70000"),
        ("--port", "-1", "--port must be a whole number from 0 to 65535, not -1"),
        ("--budget", "-5", "--budget must be a whole number from 0"),
        ("--tasks-per-day", "0", "--tasks-per-day must be a whole number from 1"),
        ("--token-lifetime", "0", "--token-lifetime must be a whole number from 1"),
        ("--latency-ms", "-100", "--latency-ms must be a whole number from 0"),
        ("--config", "/nonexistent/sandbox.yaml", "--config /nonexistent/sandbox.yaml: no such"),
    ],
)
def test_a_bad_serve_option_is_one_sentence(
    option: str, value: str, said: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["serve", option, value]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and said in err[0], err


def test_bad_values_in_the_config_file_are_named_too(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "sandbox.yaml"
    config.write_text("sandbox:\n  tasks_per_day: many\n")
    assert main(["serve", "--config", str(config)]) == 2
    assert "--tasks-per-day must be a whole number" in capsys.readouterr().err
    config.write_bytes(b"sandbox:\n  seed: \xff\xfe\n")
    assert (
        main(
            [
                "truth",
                "--config",
                str(config),
                "--from",
                "2026-11-01",
                "--to",
                "2026-11-02",
                "--out",
                str(tmp_path / "t"),
            ]
        )
        == 2
    )
    assert "not UTF-8" in capsys.readouterr().err
    config.write_text("sandbox: [unclosed\n")
    assert main(["serve", "--config", str(config)]) == 2
    assert "not valid YAML" in capsys.readouterr().err
    config.write_text("sandbox:\n  now: 2026-02-30\n")  # YAML's date, that no calendar has
    assert main(["serve", "--config", str(config)]) == 2
    assert capsys.readouterr().err.strip() == (
        f"wxcc-sandbox: --config {config}: a value written as a date or time is not one (day is "
        "out of range for month): correct it, or quote it"
    )


def test_truth_needs_a_worker(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["truth", "--from", "2026-11-18", "--to", "2026-11-19", "--out", str(tmp_path)]
    assert main([*argv, "--workers", "0", "--tasks-per-day", "10"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["wxcc-sandbox: --workers 0 must be 1 or more"]
    assert not list(tmp_path.glob("*.parquet"))


@pytest.mark.parametrize(
    ("window", "said"),
    [
        (
            ["--from", "2026-11-18", "--to", "2026-11-18"],
            "--to 2026-11-18T00:00:00Z must be after --from 2026-11-18T00:00:00Z",
        ),
        (
            ["--from", "2026-11-19", "--to", "2026-11-18"],
            "--to 2026-11-18T00:00:00Z must be after --from 2026-11-19T00:00:00Z",
        ),
    ],
    ids=["empty", "reversed"],
)
def test_truth_of_an_empty_or_reversed_window_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], window: list[str], said: str
) -> None:
    assert main(["truth", *window, "--out", str(tmp_path / "t")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and said in err[0], err
    assert not (tmp_path / "t").exists()


def test_truth_out_or_cache_dir_at_a_file_is_one_sentence(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a_file = tmp_path / "a-file"
    a_file.write_text("")
    argv = ["truth", "--from", "2026-11-18", "--to", "2026-11-19", "--tasks-per-day", "10"]
    assert main([*argv, "--out", str(a_file)]) == 2
    assert (
        capsys.readouterr().err.strip() == f"wxcc-sandbox: --out {a_file} is a file, not a folder"
    )
    assert main([*argv, "--out", str(tmp_path / "t"), "--cache-dir", str(a_file)]) == 2
    assert capsys.readouterr().err.strip() == (
        f"wxcc-sandbox: --cache-dir {a_file} is a file, not a folder (or give 'off')"
    )
    assert main(["serve", "--cache-dir", str(a_file)]) == 2
    assert "is a file, not a folder" in capsys.readouterr().err
