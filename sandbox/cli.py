"""``wxcc-sandbox``: serve the simulated tenant, or write the ground truth of a window.

    wxcc-sandbox serve [--port P] [--seed S] [--now ISO] [--tasks-per-day N] [--budget R]
                       [--latency-ms L] [--token-lifetime SECONDS] [--faults NAME[,NAME...]]
                       [--cache-mb MB] [--cache-dir DIR|off] [--orgs N] [--config FILE]
    wxcc-sandbox truth [--seed S] [--now ISO] [--tasks-per-day N] [--cache-dir DIR|off]
                       [--config FILE] [--workers N] --from ISO --to ISO --out DIR

Simulated days are kept on disk (``--cache-dir``; default ``$WXCC_SANDBOX_CACHE_DIR``, else the
user's cache directory, ``~/.cache/wxcc-sandbox`` on Linux; ``off``: memory only), so a second
process with the same seed and volume reads them instead of simulating them again.
``truth --workers N`` writes the files in N processes forked once the days are simulated
(default: 2 on a machine with 2 cores or more; 1: this process alone).

``--config`` names a YAML file whose keys (top level, or under ``sandbox:``) are the long options
without dashes, underscores for dashes (``tasks_per_day: 500``); options on the command line win.

``--orgs N`` serves N orgs from the one process, each with its own org id, credentials and
budget, all on the seed's days (``sandbox.tenants``); its second stdout line onwards name them.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sandbox.auth import ACCESS_TOKEN_LIFETIME_S

DEFAULTS: dict[str, Any] = {
    "port": 0,
    "seed": 42,
    "now": None,
    "tasks_per_day": 2000,
    "budget": 300,
    "latency_ms": 0,
    "token_lifetime": ACCESS_TOKEN_LIFETIME_S,
    "faults": "none",
    "cache_mb": None,  # sandbox.app.DEFAULT_CACHE_MB
    "cache_dir": None,  # sandbox.daystore.default_dir()
    "orgs": 1,
}


def parse_instant(text: str) -> int:
    """ISO 8601 (``2025-11-20``, ``2025-11-20T10:00:00Z``, with offset) to epoch ms; naive = UTC."""
    value = text.strip()
    if value.endswith(("Z", "z")):
        value = value[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not an ISO 8601 instant: {text!r}") from exc
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return int(parsed.timestamp() * 1000)


def _iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).isoformat().replace("+00:00", "Z")


class UsageError(Exception):
    """A bad option or config file: one sentence, exit status 2."""


# Whole-number options: (smallest, largest) accepted.
_BOUNDS: dict[str, tuple[int, int]] = {
    "port": (0, 65535),
    "seed": (0, 2**63 - 1),
    "tasks_per_day": (1, 1_000_000),
    "budget": (0, 1_000_000),
    "latency_ms": (0, 600_000),
    "token_lifetime": (1, 10 * 365 * 86400),
    "cache_mb": (1, 1_048_576),
    "orgs": (1, 1000),
}


def _load_file(path: str | None) -> dict[str, Any]:
    """The whole YAML file: the pipeline's WXCC_CONFIG may be given, for what truth needs of it
    (the WFO reports); the sandbox's own options sit under ``sandbox:`` or at the top level."""
    if not path:
        return {}
    import yaml

    try:
        with open(path, encoding="utf-8") as fh:
            loaded = yaml.safe_load(fh) or {}
    except FileNotFoundError:
        raise UsageError(f"--config {path}: no such file") from None
    except UnicodeDecodeError:
        raise UsageError(f"--config {path}: not UTF-8 text; save it as UTF-8") from None
    except OSError as exc:
        raise UsageError(f"--config {path}: cannot be read ({exc.strerror})") from None
    except ValueError as exc:  # an unquoted 2025-02-30: YAML reads a date and cannot build it
        raise UsageError(
            f"--config {path}: a value written as a date or time is not one ({exc}): correct "
            "it, or quote it"
        ) from None
    except yaml.YAMLError as exc:
        raise UsageError(f"--config {path}: not valid YAML ({str(exc).splitlines()[0]})") from None
    if not isinstance(loaded, dict):
        raise UsageError(f"--config {path}: expected a mapping")
    return loaded


def _load_config(path: str | None) -> dict[str, Any]:
    loaded = _load_file(path)
    section = loaded.get("sandbox", loaded)
    if not isinstance(section, dict):
        raise UsageError(f"--config {path}: 'sandbox' must be a mapping")
    return {str(k).replace("-", "_"): v for k, v in section.items()}


def _checked(key: str, value: Any) -> Any:  # noqa: ANN401
    """``value`` of option ``key`` if acceptable, else a UsageError naming the option."""
    option = "--" + key.replace("_", "-")
    if key in _BOUNDS and value is not None:
        low, high = _BOUNDS[key]
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise UsageError(f"{option} must be a whole number from {low} to {high}, not {value!r}")
        try:
            number = int(value)
        except ValueError:
            raise UsageError(
                f"{option} must be a whole number from {low} to {high}, not {value!r}"
            ) from None
        if not low <= number <= high:
            raise UsageError(f"{option} must be a whole number from {low} to {high}, not {number}")
        return number
    return value


def _options(args: argparse.Namespace, keys: list[str]) -> dict[str, Any]:
    config = _load_config(args.config)
    out: dict[str, Any] = {}
    for key in keys:
        given = getattr(args, key, None)
        if given is not None:
            out[key] = given
        elif key == "orgs" and isinstance(config.get(key), list):
            out[key] = DEFAULTS[key]  # the pipeline's org list (WXCC_CONFIG), not a count
        elif key in config:
            out[key] = config[key]
        else:
            out[key] = DEFAULTS.get(key)
    out = {key: _checked(key, value) for key, value in out.items()}
    if isinstance(out.get("now"), str):
        try:
            out["now"] = parse_instant(out["now"])
        except argparse.ArgumentTypeError:
            raise UsageError(
                f"--now {out['now']!r} is not an ISO 8601 instant (2026-11-20T15:30:00Z)"
            ) from None
    elif isinstance(out.get("now"), datetime):
        out["now"] = int(out["now"].timestamp() * 1000)
    elif isinstance(out.get("now"), date):
        out["now"] = int(datetime.combine(out["now"], datetime.min.time(), UTC).timestamp() * 1000)
    elif out.get("now") is not None:
        raise UsageError(f"--now {out['now']!r} is not an ISO 8601 instant")
    return out


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return f"wxcc-sandbox {version('wxcc-warehouse')}"
    except PackageNotFoundError:
        return "wxcc-sandbox (not installed)"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="wxcc-sandbox", description="Simulated Webex Contact Center tenant."
    )
    parser.add_argument("--version", action="version", version=_version())
    sub = parser.add_subparsers(dest="command", required=True)

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("--seed", type=int, help="tenant seed (default 42)")
        p.add_argument("--now", type=str, help="freeze the tenant clock at this ISO instant")
        p.add_argument("--tasks-per-day", dest="tasks_per_day", type=int, help="default 2000")
        p.add_argument("--config", help="YAML file with default options")
        p.add_argument(
            "--cache-dir",
            dest="cache_dir",
            help="keep simulated days on disk here (default $WXCC_SANDBOX_CACHE_DIR, else "
            "the user's cache directory; 'off': memory only)",
        )

    serve = sub.add_parser("serve", help="serve the tenant's APIs on 127.0.0.1")
    common(serve)
    serve.add_argument("--port", type=int, help="port (0 or absent: a free one)")
    serve.add_argument("--budget", type=int, help="API requests a minute per client (0: unlimited)")
    serve.add_argument(
        "--latency-ms", dest="latency_ms", type=int, help="added to each API request"
    )
    serve.add_argument(
        "--token-lifetime", dest="token_lifetime", type=int, help="access token lifetime (s)"
    )
    serve.add_argument(
        "--faults",
        help="named faults, comma-separated (sandbox/README.md lists them; default none)",
    )
    serve.add_argument(
        "--cache-mb",
        dest="cache_mb",
        type=int,
        help="rendered Search answers kept, in MiB (default 256; gzip copies take a quarter "
        "more); a benchmark replaying a whole run sets enough to hold every page",
    )
    serve.add_argument(
        "--orgs",
        type=int,
        help="orgs served, each with its own id, credentials and budget, all on the seed's "
        "days (default 1; sandbox/README.md names their credentials)",
    )

    truth = sub.add_parser("truth", help="write what a perfect pipeline holds for a window")
    common(truth)
    truth.add_argument("--from", dest="from_", required=True, type=parse_instant)
    truth.add_argument("--to", dest="to", required=True, type=parse_instant)
    truth.add_argument("--out", required=True, type=Path)
    truth.add_argument(
        "--workers",
        type=int,
        default=None,
        help="processes writing the files at once (default 2 with 2 cores or more)",
    )
    return parser


def _serve(args: argparse.Namespace) -> int:
    from sandbox.faults import parse_names
    from sandbox.server import base_url, bind, build_app, serve

    opts = _options(
        args,
        [
            "port",
            "seed",
            "now",
            "tasks_per_day",
            "budget",
            "latency_ms",
            "token_lifetime",
            "faults",
            "cache_mb",
            "cache_dir",
            "orgs",
        ],
    )
    try:
        faults = parse_names(opts["faults"])
    except ValueError as exc:
        print(f"wxcc-sandbox: {exc}", file=sys.stderr)
        return 2
    app = build_app(
        seed=int(opts["seed"]),
        tasks_per_day=int(opts["tasks_per_day"]),
        now_ms=opts["now"],
        budget_per_minute=int(opts["budget"]),
        latency_ms=int(opts["latency_ms"]),
        token_lifetime_s=int(opts["token_lifetime"]),
        faults=faults,
        gc_freeze=True,  # this process only serves (see SearchEngine)
        cache_dir=_cache_dir(opts["cache_dir"]),
        orgs=int(opts["orgs"]),
        **({} if opts["cache_mb"] is None else {"cache_mb": int(opts["cache_mb"])}),
    )
    try:
        sock = bind(int(opts["port"] or 0))
    except OSError as exc:
        print(f"wxcc-sandbox: cannot listen on port {opts['port']}: {exc}", file=sys.stderr)
        return 1
    print(f"sandbox listening on {base_url(sock)}", flush=True)
    for k, org in enumerate(getattr(app, "orgs", ()), start=1):
        # Ids and client ids only: the secrets follow from k (sandbox/README.md).
        print(f"org {k}: id {org.org_id}, client id {org.tokens.client_id}", flush=True)

    def stop(_sig: int, _frame: object) -> None:
        raise SystemExit(0)

    # uvicorn handles SIGINT/SIGTERM while serving, then re-raises the signal once shut down;
    # these handlers turn that into a clean exit.
    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    try:
        serve(app, sock)
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        sock.close()
    return 0


def _cache_dir(given: Any) -> Path | None:  # noqa: ANN401
    """Where simulated days are kept: ``--cache-dir``, ``off`` for nowhere, else the default."""
    if given is None:
        from sandbox.daystore import default_dir

        return default_dir()
    if str(given).strip().lower() == "off":
        return None
    folder = Path(str(given)).expanduser()
    if folder.is_file():
        raise UsageError(f"--cache-dir {folder} is a file, not a folder (or give 'off')")
    return folder


def _workers(given: int | None) -> int:
    # Two: the families split into two halves of about equal CPU (bench/README.md, fourth
    # pass); a third process mostly waits for the longest job and costs its memory.
    if given is None:
        return min(2, os.cpu_count() or 1)
    if given < 1:
        raise UsageError(f"--workers {given} must be 1 or more")
    return given


def _truth(args: argparse.Namespace) -> int:
    from sandbox.truth import write_truth

    opts = _options(args, ["seed", "now", "tasks_per_day", "cache_dir"])
    now_ms = opts["now"] if opts["now"] is not None else int(datetime.now(UTC).timestamp() * 1000)
    if args.to <= args.from_:
        raise UsageError(
            f"--to {_iso(args.to)} must be after --from {_iso(args.from_)}: the window is "
            "[from, to)"
        )
    try:
        args.out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        what = "is a file, not a folder" if args.out.is_file() else f"cannot be made ({exc})"
        raise UsageError(f"--out {args.out} {what}") from None
    written = write_truth(
        args.out,
        seed=int(opts["seed"]),
        tasks_per_day=int(opts["tasks_per_day"]),
        now_ms=now_ms,
        from_ms=args.from_,
        to_ms=args.to,
        config=_load_file(args.config),
        cache_dir=_cache_dir(opts["cache_dir"]),
        workers=_workers(args.workers),
    )
    if isinstance(written, dict):
        paths = list(written.values())
    elif written is not None:
        paths = list(written)
    else:
        paths = sorted(args.out.glob("*.parquet"))
    for path in paths:
        print(path)
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``wxcc-sandbox`` console script."""
    args = _parser().parse_args(argv)
    try:
        if args.command == "serve":
            return _serve(args)
        return _truth(args)
    except UsageError as exc:
        print(f"wxcc-sandbox: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
