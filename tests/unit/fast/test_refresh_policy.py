"""The refresh policy (fast/tokencache.py): a token is used until the refresh skew or
half its issued lifetime, whichever comes later, so a token that lives shorter than the
skew is not refreshed on every use; a token a server refused is dropped (and so
refreshed) at most once a minute, said once on stderr."""

from __future__ import annotations

from pathlib import Path

import pytest

from aqora_helper.fast import tokencache
from aqora_helper.fast.tokencache import CachedToken, drop_refused, read_token, write_token

T0 = 1_800_000_000
URL = "https://aqora.example/"


@pytest.mark.parametrize(
    ("lifetime", "skew", "min_ttl", "last_usable"),
    [
        (30, 60, 0, 14),  # shorter than the skew: half its life
        (120, 60, 0, 59),  # the skew and half its life agree
        (3600, 60, 0, 3539),  # a long token: until the skew
        (3600, 0, 0, 3599),
        (30, 60, 20, 9),  # min_ttl: at least that long left, whatever the policy
        (3600, 60, 600, 2999),
        (1, 60, 0, None),  # never usable: refreshed at once
        (0, 60, 0, None),  # expiresIn 0: handed out once, refreshed next time
    ],
)
def test_a_token_is_used_until_the_skew_or_half_its_life_whichever_is_later(
    lifetime: int, skew: int, min_ttl: int, last_usable: int | None
) -> None:
    token = CachedToken("aqat_0123456789", T0 + lifetime, T0)
    usable = [s for s in range(0, lifetime + 1) if token.usable(skew, T0 + s, min_ttl)]
    if last_usable is None:
        assert usable == []
    else:
        assert usable == list(range(0, last_usable + 1))


def test_a_clock_gone_back_still_distrusts_the_cache() -> None:
    token = CachedToken("aqat_0123456789", T0 + 3600, T0)
    assert not token.usable(60, T0 - tokencache.CLOCK_TOLERANCE - 1)


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """A private cache; the clock (returned) stands at T0 until a test moves it."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("HOME", str(tmp_path))
    now = [float(T0)]
    monkeypatch.setattr(tokencache.time, "time", lambda: now[0])
    return now


def test_a_refused_token_is_dropped_at_most_once_a_minute(
    cache: list[float], capsys: pytest.CaptureFixture[str]
) -> None:
    write_token(URL, "aqat_first_token_0", T0 + 3600)
    assert drop_refused(URL, "aqat_first_token_0", "https://git.example")  # refreshed next
    assert read_token(URL) is None
    cache[0] += 2
    write_token(URL, "aqat_second_token_0", T0 + 3600)  # the refresh
    cache[0] += 1
    assert not drop_refused(URL, "aqat_second_token_0", "https://git.example")
    assert not drop_refused(URL, "aqat_second_token_0", "https://git.example")
    cached = read_token(URL)
    assert cached is not None and cached.access_token == "aqat_second_token_0"
    err = capsys.readouterr().err
    assert err.count("refused a fresh aqora token again") == 1, err
    assert "https://git.example" in err and "aqat_" not in err
    cache[0] = T0 + tokencache.REFUSAL_INTERVAL  # a minute after the first drop
    assert drop_refused(URL, "aqat_second_token_0", "https://git.example")
    assert read_token(URL) is None


def test_only_the_cached_token_is_dropped(cache: list[float]) -> None:
    write_token(URL, "aqat_current_token", T0 + 3600)
    assert not drop_refused(URL, "aqat_an_older_token", "https://git.example")
    assert read_token(URL) is not None
    assert not Path(tokencache.refusal_path(URL)).exists()


def test_a_login_or_logout_forgets_the_refusals(cache: list[float]) -> None:
    write_token(URL, "aqat_first_token_0", T0 + 3600)
    assert drop_refused(URL, "aqat_first_token_0", "https://git.example")
    write_token(URL, "aqat_after_login_0", T0 + 3600)
    assert tokencache.drop_token(URL)  # as login and logout drop it
    assert not Path(tokencache.refusal_path(URL)).exists()
    write_token(URL, "aqat_next_login_0", T0 + 3600)
    assert drop_refused(URL, "aqat_next_login_0", "https://git.example")
