"""Red team, session 4 (in-process): a URL's credentials never show in the error that
refuses it, from `--url`, `AQORA_URL`, the config file's `url`, the Python API or
setup's `--index-url`, whichever check refuses it (credentials, a bad port, plain http,
whitespace)."""

from __future__ import annotations

import pytest

from aqora_helper.engine.settings import normalize_url
from aqora_helper.fast.errors import AqoraHelperError
from aqora_helper.setup.common import check_index_url

SECRET = "hunter2-S3cret-pw"
USERINFO = [f"bob:{SECRET}", SECRET, f"bob@corp:{SECRET}", f"bob:{SECRET}/x"]
SHAPES = [
    "https://{u}@aqora.io/",
    "https://{u}@aqora.io:99999/",
    "http://{u}@evil.example/",
    "https://{u}@aqora.io:port/",
    "ftp://{u}@aqora.io/",
]


def refusal(function, *args) -> str:  # type: ignore[no-untyped-def]
    with pytest.raises(AqoraHelperError) as caught:
        function(*args)
    return f"{caught.value.message}\n{caught.value.hint}"


@pytest.mark.parametrize("userinfo", USERINFO)
@pytest.mark.parametrize("shape", SHAPES)
def test_an_environment_url_with_credentials_is_refused_without_showing_them(
    shape: str, userinfo: str
) -> None:
    """Origin: red team, round 4 (was tests/unit/test_redteam_round4_unit.py)."""
    url = shape.format(u=userinfo)
    text = refusal(normalize_url, url)
    assert SECRET not in text and SECRET[:8] not in text, text
    assert "aqora.io" in text or "evil.example" in text, text  # still names the host


@pytest.mark.parametrize("userinfo", [u for u in USERINFO if ":" in u])  # a user is allowed
@pytest.mark.parametrize("shape", [s + "simple/" for s in SHAPES] + ["https://{u}@pypi x/"])
def test_an_index_url_with_credentials_is_refused_without_showing_them(
    shape: str, userinfo: str
) -> None:
    """Origin: red team, round 4 (was tests/unit/test_redteam_round4_unit.py)."""
    text = refusal(check_index_url, shape.format(u=userinfo))
    assert SECRET not in text and SECRET[:8] not in text, text


def test_a_url_without_credentials_is_still_shown_whole() -> None:
    """Origin: red team, round 4 (was tests/unit/test_redteam_round4_unit.py)."""
    text = refusal(check_index_url, "http://pypi.example.org/simple/@scope/")
    assert "http://pypi.example.org/simple/@scope/" in text, text
