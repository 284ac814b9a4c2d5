"""Red team of setup's report lines (`say`): a URL's password never shows, whatever
characters it holds (pip and urllib take the userinfo up to the host's last `@`)."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from aqora_helper.setup.common import say


@pytest.mark.parametrize(
    "url",
    [
        "https://me:pa@ss-word-long-9@pypi.example.org/simple/",
        "https://me@corp:s3cret-Pass-w0rd@pypi.example.org/simple/",
        "https://me:plain-Passw0rd-here@pypi.example.org:8443/simple/",
    ],
)
def test_a_password_in_a_url_never_shows(capsys: pytest.CaptureFixture[str], url: str) -> None:
    """Origin: red team of setup's report lines (was tests/unit/test_redteam_setup_report.py)."""
    password = urlsplit(url).password
    assert password
    say(f"  - index-url = {url} and http://other.example/x")
    out = capsys.readouterr().out
    tail = password[-6:]
    assert tail not in out, out
    assert "***@pypi.example.org" in out and "http://other.example/x" in out, out


def test_a_url_without_password_is_shown_as_is(capsys: pytest.CaptureFixture[str]) -> None:
    """Origin: red team of setup's report lines (was tests/unit/test_redteam_setup_report.py)."""
    line = "index-url = https://aqora@pypi.aqora.io:8443/simple/ (https://h:1/a@b)"
    say(line)
    assert capsys.readouterr().out == line + "\n"
