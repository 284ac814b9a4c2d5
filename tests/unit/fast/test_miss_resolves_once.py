"""A stale git get resolves its host once, and the engine never calls back into fast/.

The walk of one `git-credential-aqora get` is traced in this process (sys.setprofile):
the host is parsed by `hostnames.host_key` once, by `fast.credential`; on a miss the
engine is handed that key (no current index) or the environment the index named, and
never calls `fast.credential` or `fast.singleflight` (the check, lock, check again and
refresh run there, around the engine's refresh). The server's part of the refresh is a
fake (`refresh_locked`): the walk is what is under test, not the token exchange.
"""

from __future__ import annotations

import io
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from types import FrameType
from typing import Any

import pytest

from aqora_helper.doors import git
from aqora_helper.engine import served
from aqora_helper.engine.sources import Source, Token
from aqora_helper.fast import hostnames
from aqora_helper.fast.hostindex import index_path
from aqora_helper.fast.tokencache import read_token, write_token
from support import make_user_env, use_env

ENV_URL = "https://aqora.example/"
HOST = "git.aqora.example"
STALE = "stale-token.0123456789"
FRESH = "fresh-token.0123456789"
PACKAGE = Path(hostnames.__file__).resolve().parent.parent
FAST_ORCHESTRATION = {PACKAGE / "fast" / "credential.py", PACKAGE / "fast" / "singleflight.py"}
ENGINE = PACKAGE / "engine"


class Walk:
    """What a traced call did: how often the host was parsed, and each call from an
    engine frame into fast/credential.py or fast/singleflight.py (a climb back)."""

    def __init__(self) -> None:
        self.parses = 0
        self.climbs: list[str] = []
        self.refreshes = 0

    def profile(self, frame: FrameType, event: str, arg: Any) -> None:
        if event != "call":
            return
        if frame.f_code is hostnames.host_key.__code__:
            self.parses += 1
        callee = Path(frame.f_code.co_filename).resolve()
        caller = frame.f_back
        if callee in FAST_ORCHESTRATION and caller is not None:
            where = Path(caller.f_code.co_filename).resolve()
            if where.is_relative_to(ENGINE):
                self.climbs.append(f"{where.name}:{caller.f_code.co_name} -> {frame.f_code.co_name}")


@pytest.fixture
def stale_session(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Walk]:
    """A config serving HOST, a stale cached token, and a refresh that needs no server."""
    env = make_user_env(tmp_path / "home")
    config = tmp_path / "config.toml"
    config.write_text(f'[environments."{ENV_URL}"]\nhosts = ["{HOST}"]\n')
    env["AQORA_HELPER_CONFIG"] = str(config)
    use_env(monkeypatch, env)
    write_token(ENV_URL, STALE, int(time.time()) - 10)
    walk = Walk()

    def refresh_locked(settings: Any, environment: Any, stale: Any, min_ttl: int = 0) -> Token:
        walk.refreshes += 1
        assert stale is not None and stale.access_token == STALE  # read once, under the lock
        write_token(environment.url, FRESH, int(time.time()) + 3600)
        return Token(FRESH, int(time.time()) + 3600, Source.VAULT)

    monkeypatch.setattr(served, "refresh_locked", refresh_locked)
    yield walk


def traced_get(walk: Walk) -> dict[str, str]:
    out, err = io.BytesIO(), io.StringIO()
    request = io.BytesIO(f"protocol=https\nhost={HOST}\n".encode())
    sys.setprofile(walk.profile)
    try:
        code = git.run(["get"], request, out, err)
    finally:
        sys.setprofile(None)
    assert (code, err.getvalue()) == (0, "")
    return dict(line.split("=", 1) for line in out.getvalue().decode().splitlines())


def test_a_stale_get_without_a_current_index_parses_the_host_once(stale_session: Walk) -> None:
    assert not os.path.exists(index_path())  # the engine resolves the host on this get
    answer = traced_get(stale_session)
    assert answer["password"] == FRESH and stale_session.refreshes == 1
    assert stale_session.parses == 1
    assert stale_session.climbs == []
    assert os.path.exists(index_path())  # and wrote the index for the next get


def test_a_stale_get_with_a_current_index_parses_the_host_once(stale_session: Walk) -> None:
    served.refresh_index()  # a current index: the token alone is stale
    answer = traced_get(stale_session)
    assert answer["password"] == FRESH and stale_session.refreshes == 1
    assert stale_session.parses == 1
    assert stale_session.climbs == []
    cached = read_token(ENV_URL)
    assert cached is not None and cached.access_token == FRESH
