"""A token is printed, sent or cached only when it has RFC 6750's token syntax, wherever it
comes from (the server, the official CLI, AQORA_TOKEN, a cache file): one holding shell
or header syntax never runs a command under `eval` nor adds a header."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from servers.aqora import AqoraServer
from support import (
    describe,
    run_cmd,
    write_config,
)

# --------------------------------------------------------------------------------------
# Class 3 variant: the strict token check covers tokens from the server and the official
# CLI, but not AQORA_TOKEN (nor a cached token file): `token --format header` prints a
# CR/LF-bearing value as is, so a script doing `curl -H "$(aqora-helper token --format
# header)"` (or writing it into a raw request) gets an injected header. The token is
# bound for the network: it must pass the same RFC 6750 check before it is printed.


def test_aqora_token_with_crlf_is_never_printed_as_a_header(
    aqora: AqoraServer, user_env: dict[str, str]
) -> None:
    """Origin: red team of the issue #11 fixes (was tests/e2e/test_redteam.py)."""
    write_config(user_env, f'url = "{aqora.url}"\n')
    env = {**user_env, "AQORA_TOKEN": "aqat_0123456789abcdef\r\nX-Injected: yes"}
    proc = run_cmd(["aqora-helper", "token", "--format", "header"], env)
    assert "X-Injected" not in proc.stdout, describe(proc)
    assert proc.stdout.count("\n") <= 1 and "\r" not in proc.stdout, describe(proc)


# ======================================================================================
# Fix-side tests (redfix): variants of the findings above, and the two notes.


def test_a_bad_aqora_token_is_refused_with_two_lines_in_every_format(
    aqora: AqoraServer, user_env: dict[str, str]
) -> None:
    """Origin: red team of the issue #11 fixes (was tests/e2e/test_redteam.py)."""
    from support import assert_clean_failure

    write_config(user_env, f'url = "{aqora.url}"\n')
    for bad in ("aqat_0123456789abcdef\r\nX-Injected: yes", "$(touch pwned)0123456789", "tok en"):
        for fmt in ("plain", "header", "env", "json"):
            proc = run_cmd(
                ["aqora-helper", "token", "--format", fmt], {**user_env, "AQORA_TOKEN": bad}
            )
            assert_clean_failure(proc, "AQORA_TOKEN")


def test_a_cached_token_outside_the_token_syntax_is_a_miss(
    aqora: AqoraServer, user_env: dict[str, str], login: Callable[..., Any]
) -> None:
    """A planted (or corrupted) cache file is never printed: the engine refreshes.

    Origin: red team of the issue #11 fixes (was tests/e2e/test_redteam.py).
    """
    from support import token_cache_file

    write_config(user_env, f'url = "{aqora.url}"\n')
    login()
    path = token_cache_file(user_env, aqora.url)
    data = json.loads(path.read_text())
    data["access_token"] = "aqat_0123456789abcdef\r\nX-Injected: yes"
    path.write_text(json.dumps(data))
    for fmt in ("header", "plain"):
        proc = run_cmd(["aqora-helper", "token", "--format", fmt, "--url", aqora.url], user_env)
        assert proc.returncode == 0, describe(proc)
        assert "X-Injected" not in proc.stdout and "\r" not in proc.stdout, describe(proc)
        token = proc.stdout.strip().removeprefix("Authorization: Bearer ")
        assert aqora.is_valid_access_token(token), describe(proc)
