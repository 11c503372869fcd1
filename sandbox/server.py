"""Running the sandbox app: on a socket bound first (so port 0 yields the real port), in the
foreground (the CLI) or in a background thread (tests, the pipeline's embedded sandbox)."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn
from starlette.types import ASGIApp

HOST = "127.0.0.1"


def bind(port: int = 0, host: str = HOST) -> socket.socket:
    """A listening TCP socket on ``host:port`` (``port`` 0: a free one)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        sock.listen(128)
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


def base_url(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    return f"http://{host}:{port}"


def uvicorn_server(app: ASGIApp) -> uvicorn.Server:
    config = uvicorn.Config(
        app,
        log_level="warning",
        access_log=False,
        lifespan="off",
        timeout_keep_alive=30,
    )
    return uvicorn.Server(config)


def serve(app: ASGIApp, sock: socket.socket) -> None:
    """Serve ``app`` on ``sock`` in this thread until SIGINT/SIGTERM (``uvicorn`` handles them)."""
    uvicorn_server(app).run(sockets=[sock])


def build_app(
    *,
    seed: int = 42,
    tasks_per_day: int = 2000,
    tenant: Any = None,
    cache_dir: Any = None,
    orgs: int = 1,
    **app_kwargs: Any,
) -> ASGIApp:
    """``create_app`` for ``tenant`` or a new ``Tenant(seed, tasks_per_day, cache_dir=...)``
    (``cache_dir``: simulated days kept on disk there; None: in memory only); with ``orgs``
    over 1, that many orgs serving the tenant's days (``sandbox.tenants``)."""
    from sandbox.app import create_app

    if tenant is None:
        from sandbox.model import Tenant

        tenant = Tenant(seed=seed, tasks_per_day=tasks_per_day, cache_dir=cache_dir)
    if orgs > 1:
        from sandbox.tenants import create_multi_org_app

        return create_multi_org_app(tenant, orgs, **app_kwargs)
    return create_app(tenant, **app_kwargs)


def start_in_thread(
    *,
    seed: int = 42,
    tasks_per_day: int = 2000,
    tenant: Any = None,
    port: int = 0,
    startup_timeout_s: float = 30.0,
    **app_kwargs: Any,
) -> tuple[str, Callable[[], None]]:
    """Serve a sandbox in a daemon thread; returns ``(base_url, stop)``.

    ``app_kwargs`` go to :func:`build_app` (``orgs``) and :func:`sandbox.app.create_app`
    (``now_ms``, ``budget_per_minute``, ``token_lifetime_s``, ``latency_ms``, ``clock``,
    ``faults``, ``raw_record_cap`` ...).
    ``stop()`` shuts the server down and waits for the thread.
    """
    app = build_app(seed=seed, tasks_per_day=tasks_per_day, tenant=tenant, **app_kwargs)
    sock = bind(port)
    url = base_url(sock)
    server = uvicorn_server(app)
    failure: list[BaseException] = []

    def run() -> None:
        try:
            server.run(sockets=[sock])
        except BaseException as exc:  # surfaced by start_in_thread / stop
            failure.append(exc)

    thread = threading.Thread(target=run, name=f"wxcc-sandbox-{url}", daemon=True)
    thread.start()
    waited = 0.0
    while not server.started and thread.is_alive() and waited < startup_timeout_s:
        thread.join(0.01)
        waited += 0.01
    if not server.started:
        server.should_exit = True
        thread.join(5)
        sock.close()
        raise RuntimeError(
            f"sandbox did not start on {url}: {failure[0] if failure else 'timeout'}"
        )

    def stop() -> None:
        server.should_exit = True
        thread.join(10)
        sock.close()

    return url, stop


@contextmanager
def serve_in_background(**kwargs: Any) -> Iterator[str]:
    """``with serve_in_background(seed=7, now_ms=...) as url:`` a running sandbox's base URL."""
    url, stop = start_in_thread(**kwargs)
    try:
        yield url
    finally:
        stop()
