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
    monkeypatch.setattr(indexprobe, "_status", lambda u, n, t: calls.append((u, n, t)) or 404)
    return calls


def answers(monkeypatch: pytest.MonkeyPatch, *statuses: int | None) -> None:
    left = list(statuses)
    monkeypatch.setattr(indexprobe, "_status", lambda u, n, t: left.pop(0))


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
        raise NotLoggedIn("Not logged in to https://aqora.example/")

    monkeypatch.setattr("aqora_helper.fast.credential.get_for_host", not_logged_in)
    monkeypatch.setattr(indexprobe, "_status", lambda *a: pytest.fail("asked without a token"))
    verdict = indexprobe.probe(INDEX)
    assert verdict.outcome == UNKNOWN and "Not logged in" in verdict.detail


def test_an_unserved_or_plain_http_remote_index_is_never_asked(monkeypatch):
    monkeypatch.setattr("aqora_helper.fast.credential.get_for_host", lambda s, h: None)
    monkeypatch.setattr(indexprobe, "_status", lambda *a: pytest.fail("asked an unserved host"))
    assert indexprobe.probe(INDEX).outcome == UNKNOWN
    assert indexprobe.probe("http://pypi.example/simple/").outcome == UNKNOWN


def decided(monkeypatch, capsys, tool: str, outcome: str) -> tuple[bool, str]:
    monkeypatch.setattr(indexprobe, "probe", lambda url: Verdict(outcome, "because"))
    extra = indexprobe.choose_extra(tool, INDEX, None)
    return extra, capsys.readouterr().err


@pytest.mark.parametrize("tool", ["pip", "uv"])
def test_a_public_index_replaces_pypi(monkeypatch, capsys, tool):
    extra, said = decided(monkeypatch, capsys, tool, PUBLIC)
    assert extra is False
    assert "serves public packages too (because): it replaces PyPI" in said
    assert "aqora@" not in said


def test_pip_refuses_to_make_a_private_index_its_only_one(monkeypatch):
    monkeypatch.setattr(indexprobe, "probe", lambda url: Verdict(NOT_PUBLIC, "because"))
    with pytest.raises(SetupError) as refused:
        indexprobe.choose_extra("pip", INDEX, None)
    assert "would break every other pip install" in refused.value.message
    assert "--extra" in refused.value.hint and "--replace" in refused.value.hint
    assert "dependency" not in refused.value.message  # the trade-off is in the hint
    assert "a name on both may come from either" in refused.value.hint


def test_uv_adds_a_private_index_beside_pypi(monkeypatch, capsys):
    extra, said = decided(monkeypatch, capsys, "uv", NOT_PUBLIC)
    assert extra is True
    assert "added beside PyPI, searched first" in said


@pytest.mark.parametrize("tool", ["pip", "uv"])
def test_an_open_question_keeps_the_replacement_with_a_warning(monkeypatch, capsys, tool):
    extra, said = decided(monkeypatch, capsys, tool, UNKNOWN)
    assert extra is False
    assert said.startswith("aqora-helper: warning: could not tell whether")
    assert f"setup {tool} --index-url URL --extra" in said


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
    monkeypatch.setattr(indexprobe, "probe", lambda url: pytest.fail("asked despite a choice"))
    assert indexprobe.choose_extra(tool, INDEX, given) is given
    assert capsys.readouterr().err.startswith(f"afterwards: {said}")


def test_extra_and_replace_exclude_each_other():
    assert index_mode(True, False) is True
    assert index_mode(False, True) is False
    assert index_mode(False, False) is None
    with pytest.raises(typer.BadParameter):
        index_mode(True, True)
