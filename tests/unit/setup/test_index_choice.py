"""`setup pip|uv` without --extra or --replace asks the index whether it serves public
packages (setup/indexprobe.py): the verdict of each answer, and what each tool does
with it. The real pip and uv against such indexes: e2e/pip_uv/test_public_installs.py."""

from __future__ import annotations

import pytest
import typer

from aqora_helper.cli.setup import index_mode
from aqora_helper.fast.errors import NotLoggedIn
from aqora_helper.fast.hostcredential import HostCredential
from aqora_helper.setup import indexprobe
from aqora_helper.setup.files import SetupError
from aqora_helper.setup.indexprobe import NOT_PUBLIC, PUBLIC, UNKNOWN, Verdict

INDEX = "https://aqora@pypi.aqora.example/simple/"
TOKEN = "aqat_probe_token_0123456789"


@pytest.fixture
def asked(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str, str]]:
    """The index's pages as the probe asks for them (URL, username, token)."""
    calls: list[tuple[str, str, str]] = []
    cred = HostCredential(TOKEN, 2_000_000_000, "pypi-user", "basic", "https://aqora.example/")
    monkeypatch.setattr("aqora_helper.fast.credential.get_for_host", lambda s, h: cred)
    monkeypatch.setattr(indexprobe, "_status", lambda u, n, t, _: calls.append((u, n, t)) or 404)
    return calls


def answers(monkeypatch: pytest.MonkeyPatch, *statuses: int | None) -> None:
    left = list(statuses)
    monkeypatch.setattr(indexprobe, "_status", lambda u, n, t, _: left.pop(0))


def test_the_probe_asks_for_well_known_projects_without_the_urls_user(asked):
    assert indexprobe.probe(INDEX).outcome == NOT_PUBLIC
    assert asked == [
        ("https://pypi.aqora.example/simple/pip/", "pypi-user", TOKEN),
        ("https://pypi.aqora.example/simple/setuptools/", "pypi-user", TOKEN),
    ]


@pytest.mark.parametrize(
    ("statuses", "outcome"),
    [
        ((200,), PUBLIC),
        ((404, 200), PUBLIC),
        ((404, 404), NOT_PUBLIC),
        ((401,), UNKNOWN),  # the token was refused: nothing is known
        ((302,), UNKNOWN),  # never followed
        ((None,), UNKNOWN),  # no answer in time
        ((404, 500), UNKNOWN),
    ],
)
def test_each_answer_gives_its_verdict(asked, monkeypatch, statuses, outcome):
    answers(monkeypatch, *statuses)
    verdict = indexprobe.probe(INDEX)
    assert verdict.outcome == outcome, verdict
    assert TOKEN not in verdict.detail


def test_without_a_session_the_question_stays_open(monkeypatch):
    def not_logged_in(scheme: str, host: str) -> None:
        raise NotLoggedIn("https://aqora.example/")

    monkeypatch.setattr("aqora_helper.fast.credential.get_for_host", not_logged_in)
    monkeypatch.setattr(indexprobe, "_status", lambda *a: pytest.fail("asked without a token"))
    verdict = indexprobe.probe(INDEX)
    assert verdict.outcome == UNKNOWN and "Not logged in" in verdict.detail


def test_a_host_not_served_yet_is_asked_with_the_environments_token(monkeypatch, tmp_path):
    """Setup asks before it adds the host to the environment (nothing written yet)."""
    monkeypatch.setenv("AQORA_HELPER_CONFIG", str(tmp_path / "config.toml"))
    (tmp_path / "config.toml").write_text(
        'url = "https://aqora.example"\n[environments."https://aqora.example"]\n'
        'username = "pypi-user"\n'
    )
    asked: list[tuple[str, str, str]] = []
    monkeypatch.setattr("aqora_helper.fast.credential.get_for_host", lambda s, h: None)
    cred = HostCredential(TOKEN, 2_000_000_000, "", "", "https://aqora.example/")
    monkeypatch.setattr("aqora_helper.fast.credential.get_for_env", lambda url: cred)
    monkeypatch.setattr(indexprobe, "_status", lambda u, n, t, _: asked.append((u, n, t)) or 404)
    assert indexprobe.probe(INDEX, None).outcome == NOT_PUBLIC
    assert asked[0] == ("https://pypi.aqora.example/simple/pip/", "pypi-user", TOKEN)


def test_a_plain_http_remote_index_is_never_asked(monkeypatch):
    monkeypatch.setattr(indexprobe, "_status", lambda *a: pytest.fail("asked over plain http"))
    verdict = indexprobe.probe("http://pypi.example/simple/")
    assert verdict.outcome == UNKNOWN and "loopback" in verdict.detail


def decided(monkeypatch, capsys, tool: str, outcome: str) -> tuple[bool, str]:
    monkeypatch.setattr(indexprobe, "probe", lambda url, env: Verdict(outcome, "because"))
    extra = indexprobe.choose_extra(tool, INDEX, None, None)
    return extra, capsys.readouterr().err


@pytest.mark.parametrize("tool", ["pip", "uv"])
def test_a_public_index_replaces_pypi(monkeypatch, capsys, tool):
    extra, said = decided(monkeypatch, capsys, tool, PUBLIC)
    assert extra is False
    assert "serves public packages too (because): it replaces PyPI" in said
    assert "aqora@" not in said


@pytest.mark.parametrize(
    ("outcome", "what"),
    [(NOT_PUBLIC, "serves no public packages"), (UNKNOWN, "could not tell whether")],
)
def test_pip_refuses_to_make_an_index_its_only_one_unless_it_is_public(
    monkeypatch, outcome, what
):
    monkeypatch.setattr(indexprobe, "probe", lambda url, env: Verdict(outcome, "because"))
    with pytest.raises(SetupError) as refused:
        indexprobe.choose_extra("pip", INDEX, None, None)
    assert what in refused.value.message
    assert "break every other pip install" in refused.value.message
    assert "--extra" in refused.value.hint and "--replace" in refused.value.hint
    assert "dependency" not in refused.value.message  # the trade-off is in the hint
    assert "a name on both may come from either" in refused.value.hint


@pytest.mark.parametrize("outcome", [NOT_PUBLIC, UNKNOWN])
def test_uv_adds_a_private_or_unknown_index_beside_pypi(monkeypatch, capsys, outcome):
    extra, said = decided(monkeypatch, capsys, "uv", outcome)
    assert extra is True
    assert "added beside PyPI, where uv looks first" in said
    assert "afterwards: uv searches https://pypi.aqora.example/simple/ first" in said


@pytest.mark.parametrize(
    ("tool", "given", "said"),
    [
        ("pip", True, "pip searches https://pypi.aqora.example/simple/ and PyPI; a name on both"),
        ("uv", True, "uv searches https://pypi.aqora.example/simple/ first, then PyPI"),
        ("pip", False, "pip searches https://pypi.aqora.example/simple/ only: what it does not"),
        ("uv", False, "uv searches https://pypi.aqora.example/simple/ only: what it does not"),
    ],
)
def test_a_choice_given_is_never_second_guessed(monkeypatch, capsys, tool, given, said):
    monkeypatch.setattr(indexprobe, "probe", lambda *a: pytest.fail("asked despite a choice"))
    assert indexprobe.choose_extra(tool, INDEX, given, None) is given
    assert capsys.readouterr().err.startswith(f"afterwards: {said}")


@pytest.mark.parametrize(
    "url",
    ["https://pypi.aqora.example/simple/?x=1", "https://pypi.aqora.example/simple/#f",
     "http://evil.example\\@127.0.0.1:1/simple/"],
)  # fmt: skip
def test_a_url_read_differently_by_pip_uv_or_the_probe_is_refused_first(monkeypatch, url):
    monkeypatch.setattr(indexprobe, "probe", lambda *a: pytest.fail("asked a bad URL"))
    with pytest.raises(SetupError):
        indexprobe.choose_extra("pip", url, None, None)


def test_extra_and_replace_exclude_each_other():
    assert index_mode(True, False) is True
    assert index_mode(False, True) is False
    assert index_mode(False, False) is None
    with pytest.raises(typer.BadParameter):
        index_mode(True, True)
