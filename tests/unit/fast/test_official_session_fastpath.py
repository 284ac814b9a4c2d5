"""The official CLI's session on the fast path (fast/official_session.py): a fresh
access token of credentials.json is answered only through the engine's pointer, from a
safe file read under the shared flock; anything doubtful is a miss for the engine; the
file's location and its dates are read as the engine reads them."""

from __future__ import annotations

import fcntl
import json
import os
import re
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aqora_helper.engine.official import credentials_path
from aqora_helper.fast import official_session
from aqora_helper.fast.text import rfc3339
from aqora_helper.fast.tokencache import read_token, token_path

ENV_URL = "https://aqora.example/"
ACCESS = "aqat_" + "a" * 40
REFRESH = "aqrt_" + "r" * 40


@pytest.fixture
def home(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    for name in ("AQORA_CONFIG_HOME", "XDG_DATA_HOME", "APPDATA"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return tmp_path


def write_credentials(expires_at: str, mode: int = 0o644) -> Path:
    path = Path(official_session.credentials_file())
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o755)
    entry = {"client_id": "localhost-x", "client_secret": None, "access_token": ACCESS,
             "refresh_token": REFRESH, "expires_at": expires_at}  # fmt: skip
    path.write_text(json.dumps({"credentials": {ENV_URL: entry}}, indent=2))
    path.chmod(mode)
    return path


def in_one_hour() -> str:
    return str(rfc3339(int(time.time()) + 3600))


@pytest.mark.parametrize(
    "variables",
    [{}, {"XDG_DATA_HOME": "/srv/data"}, {"XDG_DATA_HOME": "  "}, {"AQORA_CONFIG_HOME": "/x/y"}],
)
def test_the_file_is_where_the_engine_reads_it(home, monkeypatch, variables) -> None:
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    assert official_session.credentials_file() == str(credentials_path())


def test_a_fresh_token_is_answered_once_the_engine_pointed_to_the_file(home) -> None:
    path = write_credentials(in_one_hour())
    assert official_session.fresh_token(ENV_URL, 60) is None  # no pointer: the engine first
    official_session.remember(ENV_URL, str(path))
    got = official_session.fresh_token(ENV_URL, 60)
    assert got is not None and got.access_token == ACCESS
    assert abs(got.expires_at - (time.time() + 3600)) < 5
    pointer = Path(token_path(ENV_URL)).read_text()
    assert ACCESS not in pointer and REFRESH not in pointer  # never a copy of a token
    assert read_token(ENV_URL) is None  # our own cache holds no token for it


def test_a_token_inside_the_skew_is_a_miss(home) -> None:
    path = write_credentials(str(rfc3339(int(time.time()) + 30)))
    official_session.remember(ENV_URL, str(path))
    assert official_session.fresh_token(ENV_URL, 60) is None
    assert official_session.fresh_token(ENV_URL, 10) is not None


def test_a_pointer_to_another_file_or_environment_is_a_miss(home, monkeypatch, tmp_path) -> None:
    path = write_credentials(in_one_hour())
    official_session.remember(ENV_URL, str(path))
    assert official_session.fresh_token("https://other.example/", 60) is None
    monkeypatch.setenv("AQORA_CONFIG_HOME", str(tmp_path / "elsewhere"))
    assert official_session.fresh_token(ENV_URL, 60) is None


@pytest.mark.parametrize(
    "damage",
    ["group-writable", "other owner", "fifo", "too large", "not json", "bad token", "bad date",
     "directory writable"],
)  # fmt: skip
def test_a_doubtful_file_is_a_miss(home, damage) -> None:
    path = write_credentials(in_one_hour())
    official_session.remember(ENV_URL, str(path))
    if damage == "group-writable":
        path.chmod(0o664)
    elif damage == "other owner":
        os.chown(path, 65534, 65534)
    elif damage == "fifo":
        path.unlink()
        os.mkfifo(path, 0o600)
    elif damage == "too large":
        with path.open("a") as f:
            f.write(" " * official_session.MAX_CREDENTIALS_BYTES)
    elif damage == "not json":
        path.write_text(path.read_text()[:-5])
    elif damage == "bad token":
        path.write_text(path.read_text().replace(ACCESS, "has space"))
    elif damage == "bad date":
        path.write_text(path.read_text().replace("T", "x", 1))
    else:
        path.parent.chmod(0o777)
    assert official_session.fresh_token(ENV_URL, 60) is None


def test_a_file_being_rewritten_is_a_miss(home) -> None:
    """The official CLI holds the exclusive flock while it rewrites the file in place."""
    path = write_credentials(in_one_hour())
    official_session.remember(ENV_URL, str(path))
    with path.open("rb") as writer:
        fcntl.flock(writer, fcntl.LOCK_EX)
        assert official_session.fresh_token(ENV_URL, 60) is None
    assert official_session.fresh_token(ENV_URL, 60) is not None


def test_a_symlinked_file_of_this_user_is_read(home, tmp_path) -> None:
    path = write_credentials(in_one_hour())
    real = tmp_path / "dotfiles-credentials.json"
    path.rename(real)
    path.symlink_to(real)
    official_session.remember(ENV_URL, str(path))
    assert official_session.fresh_token(ENV_URL, 60) is not None


_RFC3339 = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?"
    r"(?:[Zz]|([+-])(\d{2}):(\d{2}))"
)


def parse_expires_at(text: str) -> float:
    """The reference: how the engine read the official CLI's dates with re and datetime
    before it shared the fast path's parser (seconds above 59 count as 59)."""
    match = _RFC3339.fullmatch(text)
    if match is None:
        raise ValueError("not an RFC 3339 date-time")
    year, month, day, hour, minute, second = (int(g) for g in match.groups()[:6])
    when = datetime(year, month, day, hour, minute, min(second, 59), tzinfo=timezone.utc)
    fraction = int((match.group(7) or "0").ljust(9, "0")) / 1e9
    offset = 0
    if match.group(8):
        offset = (int(match.group(9)) * 3600 + int(match.group(10)) * 60) * (
            1 if match.group(8) == "+" else -1
        )
    return when.timestamp() - offset + fraction


dates = st.datetimes(
    min_value=__import__("datetime").datetime(1, 1, 1),
    max_value=__import__("datetime").datetime(9999, 12, 31),
)


@settings(max_examples=300, deadline=None)
@given(
    when=dates,
    digits=st.integers(min_value=0, max_value=9),
    zone=st.sampled_from(["Z", "z", "+00:00", "-07:30", "+14:00", "+99:99"]),
    sep=st.sampled_from(["T", "t", " "]),
)
def test_dates_are_read_as_the_reference_reads_them(when, digits, zone, sep) -> None:
    fraction = f".{when.microsecond:06d}{'123'}"[: digits + 1] if digits else ""
    text = when.strftime(f"%Y-%m-%d{sep}%H:%M:%S").rjust(19, "0") + fraction + zone
    assert official_session.parse_rfc3339(text) == parse_expires_at(text)


@settings(max_examples=500, deadline=None)
@given(text=st.text(alphabet="0123456789-:.TtZz+ x", max_size=40))
def test_a_date_the_reference_refuses_is_refused(text) -> None:
    try:
        expected: float | None = parse_expires_at(text)
    except (ValueError, OverflowError):
        expected = None
    assert official_session.parse_rfc3339(text) == expected


@pytest.mark.parametrize(
    "text",
    ["2026-02-29T00:00:00Z", "2026-13-01T00:00:00Z", "2026-01-01T24:00:00Z",
     "0000-01-01T00:00:00Z", "2026-01-01T00:00:00.Z", "2026-01-01T00:00:00.1234567890Z",
     "2026-01-01T00:00:00+0100", "2026-01-01T00:00:00", "２０２６-01-01T00:00:00Z"],
)  # fmt: skip
def test_impossible_dates_are_refused(text) -> None:
    assert official_session.parse_rfc3339(text) is None


def test_seconds_above_59_count_as_59_as_in_the_reference() -> None:
    text = "2026-06-30T23:59:60Z"
    assert official_session.parse_rfc3339(text) == parse_expires_at(text)
