"""OAuth refresh-token provider: rotation, the state file, serialization, refusals without secrets."""

from __future__ import annotations

import json
import logging
import stat
import threading
import time
from pathlib import Path

import httpx
import pytest

from pipelines.sources.auth import CredentialNames, TokenProvider
from pipelines.sources.errors import AuthError, ConfigError, MalformedResponse, WxccError
from pipelines.sources.http import RetryPolicy, WxccHttp
from tests.sources.factories import (
    API_URL,
    CANARY,
    IDENTITY_URL,
    FakeClock,
    FakeIdentity,
    FakeSearchApi,
    Scripted,
    json_response,
    router,
    tasks,
)


def make_provider(identity, clock: FakeClock, state_dir: Path | None, **kwargs) -> TokenProvider:
    kwargs.setdefault("client_id", "client-id")
    kwargs.setdefault("client_secret", "client-secret")
    kwargs.setdefault("refresh_token", "refresh-0")
    return TokenProvider.create(
        IDENTITY_URL,
        data_dir=state_dir,
        clock=clock,
        transport=router(identity=identity),
        retry=RetryPolicy(max_attempts=3),
        **kwargs,
    )


def state_file(data_dir: Path) -> Path:
    (path,) = (data_dir / "state").glob("token-*.json")
    return path


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def test_first_token_uses_the_refresh_grant_and_is_cached(tmp_path: Path, clock: FakeClock) -> None:
    idp = FakeIdentity()
    provider = make_provider(idp, clock, tmp_path)
    assert provider.token() == "access-1"
    assert provider.token() == "access-1"
    assert idp.forms == [
        {
            "grant_type": "refresh_token",
            "client_id": "client-id",
            "client_secret": "client-secret",
            "refresh_token": "refresh-0",
        }
    ]
    provider.close()


def test_refreshes_within_the_margin_of_expiry(tmp_path: Path, clock: FakeClock) -> None:
    idp = FakeIdentity(expires_in=3600)
    provider = make_provider(idp, clock, tmp_path)
    assert provider.token() == "access-1"
    clock.advance(3600 - 61)
    assert provider.token() == "access-1"
    clock.advance(2)  # now inside the 60 s margin
    assert provider.token() == "access-2"
    assert [f["refresh_token"] for f in idp.forms] == ["refresh-0", "refresh-1"]
    provider.close()


def test_short_lived_tokens_refresh_at_half_life(tmp_path: Path, clock: FakeClock) -> None:
    idp = FakeIdentity(expires_in=30)  # shorter than the margin: must not refresh on every call
    provider = make_provider(idp, clock, tmp_path)
    assert provider.token() == provider.token() == "access-1"
    clock.advance(16)
    assert provider.token() == "access-2"
    provider.close()


def test_expired_token_401_refresh_success_and_rotated_token_saved(
    tmp_path: Path, clock: FakeClock
) -> None:
    idp = FakeIdentity()
    api = FakeSearchApi([tasks(3)], tokens={"access-2"})  # access-1 has been revoked server-side
    transport = router(api=api, identity=idp)
    provider = TokenProvider.create(
        IDENTITY_URL,
        client_id="client-id",
        client_secret="client-secret",
        refresh_token="refresh-0",
        data_dir=tmp_path,
        clock=clock,
        transport=transport,
    )
    with WxccHttp(API_URL, token_provider=provider, clock=clock, transport=transport) as http:
        response = http.request(
            "POST", "/search", json={"query": "q", "variables": {"from": 0, "to": 1}}
        )
    assert response.status_code == 200
    assert len(idp.forms) == 2
    assert [f["refresh_token"] for f in idp.forms] == ["refresh-0", "refresh-1"]
    assert [r.headers["Authorization"] for r in api.requests] == [
        "Bearer access-1",
        "Bearer access-2",
    ]

    path = state_file(tmp_path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    saved = json.loads(path.read_text())
    assert saved["refresh_token"] == "refresh-2"
    assert saved["access_token"] == "access-2"
    assert not list(path.parent.glob(".token-*.tmp"))
    provider.close()


def test_state_file_wins_over_the_environment(tmp_path: Path, clock: FakeClock) -> None:
    idp = FakeIdentity()
    first = make_provider(idp, clock, tmp_path)
    first.token()
    first.close()
    # a later run: same environment, the access token in the state has expired
    clock.advance(86_400)
    second = make_provider(idp, clock, tmp_path)
    assert second.token() == "access-2"
    assert [f["refresh_token"] for f in idp.forms] == ["refresh-0", "refresh-1"]
    second.close()


def test_another_process_token_is_adopted_without_a_refresh(
    tmp_path: Path, clock: FakeClock
) -> None:
    idp = FakeIdentity()
    a = make_provider(idp, clock, tmp_path)
    b = make_provider(idp, clock, tmp_path)
    assert a.token() == "access-1"
    assert b.token() == "access-1"  # read from the state file under the lock
    assert len(idp.forms) == 1
    a.close()
    b.close()


def test_concurrent_refreshes_are_serialized(tmp_path: Path) -> None:
    idp = FakeIdentity()

    def slow(request: httpx.Request) -> httpx.Response:
        time.sleep(0.02)  # widen the race window
        return idp(request)

    providers = [make_provider(slow, FakeClock(), tmp_path) for _ in range(3)]
    barrier = threading.Barrier(9)
    results: list[str] = []

    def worker(provider: TokenProvider) -> None:
        barrier.wait()
        results.append(provider.token())

    threads = [threading.Thread(target=worker, args=(p,)) for p in providers for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=10)
    assert results == ["access-1"] * 9
    assert len(idp.forms) == 1
    for p in providers:
        p.close()


def test_stale_state_token_falls_back_to_the_environment(tmp_path: Path, clock: FakeClock) -> None:
    idp = FakeIdentity(valid={"refresh-0"})
    provider = make_provider(idp, clock, tmp_path)
    provider.token()
    path = state_file(tmp_path)
    provider.close()
    # the state's refresh token has been revoked (e.g. left from an older authorization)
    idp.valid = {"refresh-0"}
    clock.advance(86_400)
    again = make_provider(idp, clock, tmp_path)
    assert again.token() == "access-2"
    assert [f["refresh_token"] for f in idp.forms] == ["refresh-0", "refresh-1", "refresh-0"]
    assert json.loads(path.read_text())["refresh_token"] == "refresh-2"
    again.close()


def test_token_endpoint_retries_on_5xx_and_429(tmp_path: Path, clock: FakeClock) -> None:
    idp = FakeIdentity()
    flaky = Scripted(
        [httpx.Response(503), json_response(429, {"message": "slow down"}, {"Retry-After": "2"})],
        idp,
    )
    provider = make_provider(flaky, clock, tmp_path)
    assert provider.token() == "access-1"
    assert flaky.calls == 3
    assert clock.sleeps[-1] == 2.0
    provider.close()


def test_refused_refresh_is_an_auth_error_naming_the_variables(
    tmp_path: Path, clock: FakeClock
) -> None:
    idp = FakeIdentity(valid={"something-else"})
    provider = make_provider(idp, clock, tmp_path)
    with pytest.raises(
        AuthError,
        match=r"OAuth token refresh at https://idp\.test/v1/access_token was refused \(HTTP 400.*"
        r"check WXCC_CLIENT_ID, WXCC_CLIENT_SECRET and WXCC_REFRESH_TOKEN",
    ):
        provider.token()
    assert not (tmp_path / "state").exists() or not list((tmp_path / "state").glob("token-*.json"))
    provider.close()


def test_refusal_names_the_configured_variables(tmp_path: Path, clock: FakeClock) -> None:
    names = CredentialNames("ORG2_ID", "ORG2_SECRET", "ORG2_REFRESH")
    provider = make_provider(FakeIdentity(valid=()), clock, tmp_path, names=names)
    with pytest.raises(AuthError, match="check ORG2_ID, ORG2_SECRET and ORG2_REFRESH"):
        provider.token()
    provider.close()


def test_empty_credential_is_a_config_error(tmp_path: Path, clock: FakeClock) -> None:
    with pytest.raises(ConfigError, match="WXCC_CLIENT_SECRET is empty"):
        make_provider(FakeIdentity(), clock, tmp_path, client_secret=" ")


def test_token_answer_without_access_token(tmp_path: Path, clock: FakeClock) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return json_response(200, {"refresh_token": "refresh-9", "expires_in": 10})

    provider = make_provider(handler, clock, tmp_path)
    with pytest.raises(MalformedResponse, match="OAuth token refresh .* has no access_token"):
        provider.token()
    provider.close()


def test_in_memory_provider_keeps_the_rotated_token(clock: FakeClock) -> None:
    idp = FakeIdentity()
    provider = make_provider(idp, clock, None)
    provider.token()
    provider.invalidate()
    assert provider.token() == "access-2"
    assert [f["refresh_token"] for f in idp.forms] == ["refresh-0", "refresh-1"]
    provider.close()


def test_canary_secret_never_in_messages_or_logs(
    tmp_path: Path, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    messages: list[str] = []

    # 1. refused by the identity service, which echoes the refresh token and the secret
    idp = FakeIdentity(client_secret=CANARY, valid={"not-it"})
    provider = make_provider(idp, clock, tmp_path, client_secret=CANARY, refresh_token=CANARY)
    with pytest.raises(AuthError) as refused:
        provider.token()
    messages.append(str(refused.value))
    messages.append(repr(provider))
    provider.close()

    # 2. the API refuses a fresh token twice
    idp = FakeIdentity(client_secret=CANARY, valid={CANARY})
    api = FakeSearchApi([tasks(1)], tokens=set())
    transport = router(api=api, identity=idp)
    provider = TokenProvider.create(
        IDENTITY_URL,
        client_id="client-id",
        client_secret=CANARY,
        refresh_token=CANARY,
        data_dir=tmp_path / "two",
        clock=clock,
        transport=transport,
    )
    with WxccHttp(API_URL, token_provider=provider, clock=clock, transport=transport) as http:
        with pytest.raises(AuthError) as twice:
            http.request("POST", "/search", json={})
    messages.append(str(twice.value))
    provider.close()

    # 3. the token endpoint fails for good with a body echoing the secret
    def broken(request: httpx.Request) -> httpx.Response:
        return json_response(500, {"message": f"boom client_secret={CANARY}"})

    provider = make_provider(
        broken, clock, tmp_path / "three", client_secret=CANARY, refresh_token=CANARY
    )
    with pytest.raises(WxccError) as failed:
        provider.token()
    messages.append(str(failed.value))
    provider.close()

    assert all(messages)
    for text in [*messages, caplog.text, *(r.getMessage() for r in caplog.records)]:
        assert CANARY not in text


def test_constructor_takes_an_identity_url_or_a_client(tmp_path: Path, clock: FakeClock) -> None:
    idp = FakeIdentity()
    provider = TokenProvider(
        identity_url=IDENTITY_URL,
        client_id="client-id",
        client_secret="client-secret",
        refresh_token="refresh-0",
        state_dir=tmp_path / "state",
        clock=clock,
        transport=router(identity=idp),
    )
    assert provider.token() == "access-1"
    assert provider.state_path is not None and provider.state_path.parent == tmp_path / "state"
    provider.close()
    with pytest.raises(ConfigError, match="exactly one of identity and identity_url"):
        TokenProvider(
            client_id="a", client_secret="b", refresh_token="c", state_dir=None, clock=clock
        )
