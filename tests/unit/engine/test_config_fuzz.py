"""The config file under arbitrary input: a ConfigError naming the file, or valid
settings; never another exception."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aqora_helper.engine.errors import ConfigError
from aqora_helper.engine.settings import load_settings

KEYS = ["url", "username", "refresh_skew", "timeouts", "environments", "hosts", "git_auth"]
VALUES = st.one_of(
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=True),
    st.text(max_size=40).map(lambda s: '"' + s.replace("\\", "").replace('"', "") + '"'),
    st.sampled_from(['"https://aqora.io"', '"http://evil.com"', "[]", '["aqora.io:99999"]']),
)


@pytest.fixture(scope="module")
def sandbox():
    with tempfile.TemporaryDirectory() as tmp:
        old = dict(os.environ)
        os.environ["AQORA_HELPER_CONFIG"] = str(Path(tmp) / "config.toml")
        os.environ["AQORA_HELPER_DATA_DIR"] = str(Path(tmp) / "data")
        for name in ("AQORA_URL", "AQORA_ALLOW_INSECURE_HOST"):
            os.environ.pop(name, None)
        yield Path(tmp) / "config.toml"
        os.environ.clear()
        os.environ.update(old)


def check(path: Path, raw: bytes) -> None:
    path.write_bytes(raw)
    try:
        load_settings()
    except ConfigError as exc:
        assert str(path) in exc.message or "URL" in exc.message
        assert exc.hint


@settings(max_examples=300, deadline=None)
@given(raw=st.binary(max_size=2000))
def test_arbitrary_bytes(sandbox, raw):
    check(sandbox, raw)


@settings(max_examples=300, deadline=None)
@given(
    pairs=st.lists(st.tuples(st.sampled_from(KEYS), VALUES), max_size=6),
    table=st.sampled_from(["", "[timeouts]\n", '[environments."https://aqora.io"]\n']),
)
def test_toml_shaped_input(sandbox, pairs, table):
    body = table + "".join(f"{key} = {value}\n" for key, value in pairs)
    check(sandbox, body.encode())


def test_huge_config_is_refused(sandbox):
    sandbox.write_bytes(b"# " + b"x" * 1_000_000)
    with pytest.raises(ConfigError, match="larger than"):
        load_settings()
