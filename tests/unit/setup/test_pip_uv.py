"""`aqora-helper setup pip|uv`: what they write, that pip and uv read it, and that
`--remove` gives back the original bytes (or no file, when setup created it)."""

from __future__ import annotations

import configparser
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aqora_helper.setup import pip as setup_pip
from aqora_helper.setup import uv as setup_uv
from aqora_helper.setup.textblocks import SetupError, strip_ours

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

URL = "https://aqora@pypi.aqora.example/simple/"
UV_URL = "https://pypi.aqora.example/simple/"
P = Path("pip.conf")


def pip_values(text: str) -> dict[tuple[str, str], str]:
    parser = configparser.RawConfigParser()
    parser.read_string(text)
    return {
        (s, setup_pip.normalize_key(k)): v for s in parser.sections() for k, v in parser.items(s)
    }


def undo_text(text: str, tool) -> str:
    return strip_ours(text, tool.MARKERS).text


# --- pip: examples --------------------------------------------------------------------
PIP_ORIGINALS = [
    "",
    "[global]\n",
    "[global]",
    "[global]\ntimeout = 60\n",
    "[global]\ntimeout = 60",
    "# my settings\n\n[global]\ntimeout = 60\n\n[install]\nno-cache-dir = true\n",
    "[install]\nuser = true\n",
    "[install]\nuser = true",
    "[global]\nindex-url = https://corp.example/simple\nkeyring-provider=import\n",
    "[global]\r\nindex_url = https://corp.example/simple\r\ntimeout = 5\r\n",
    "[global]\r\nindex_url = https://corp.example/simple\r\ntimeout = 5",
    "[global]\nextra-index-url =\n    https://a.example/simple\n\n    https://b.example/simple\n"
    "retries = 3\n",
    "[global]\n--Keyring_Provider: import\n  # note\nIndex-URL=https://x.example/simple\n",
    "[global]\n# café ☕\ntimeout = 60\n",
]


@pytest.mark.parametrize("extra", [False, True], ids=["index-url", "extra-index-url"])
@pytest.mark.parametrize("original", PIP_ORIGINALS)
def test_pip_setup_then_remove_restores_the_text(original, extra):
    new = setup_pip.plan(original, P, URL, extra)
    values = pip_values(new)
    assert values[("global", "keyring-provider")] == "subprocess"
    key = "extra-index-url" if extra else "index-url"
    assert URL in values[("global", key)].split()
    before = pip_values(original)
    for k, v in before.items():  # everything else is as it was
        if k not in {("global", "keyring-provider"), ("global", key)}:
            assert values[k] == v
    if extra and ("global", key) in before:  # existing extra URLs are kept
        assert values[("global", key)].split()[:-1] == before[("global", key)].split()
    assert undo_text(new, setup_pip) == original
    again = setup_pip.plan(new, P, URL.replace("pypi", "pypi2"), not extra)  # re-run setup
    assert undo_text(again, setup_pip) == original


def test_pip_setup_of_a_missing_file_marks_it_created():
    new = setup_pip.plan(None, P, URL, False)
    assert new.startswith("# >>> aqora-helper setup pip") and "[created]" in new.splitlines()[0]
    stripped = strip_ours(new, setup_pip.MARKERS)
    assert stripped.text == "" and stripped.created
    again = setup_pip.plan(new, P, URL, True)  # setup twice: still "created"
    assert strip_ours(again, setup_pip.MARKERS).created


@pytest.mark.parametrize(
    "broken",
    ["timeout = 5\n", "[global]\ntimeout = 1\n[global]\nretries = 2\n", "[global]\na = 1\na = 2\n"],
)
def test_pip_refuses_a_file_pip_cannot_read(broken):
    with pytest.raises(SetupError, match="not a valid pip config file"):
        setup_pip.plan(broken, P, URL, False)


# --- pip: any file --------------------------------------------------------------------
_PIP_OPTIONS = st.sampled_from(
    [
        "timeout = 60",
        "index-url = https://corp.example/simple",
        "index_url=https://corp2.example/simple",
        "keyring-provider = import",
        "keyring_provider: auto",
        "extra-index-url =\n    https://a.example/simple\n    https://b.example/simple",
        "extra-index-url = https://c.example/simple",
        "  indented = 1",
        "retries: 3",
        "# a comment",
        "; another",
        "",
        "   ",
        "no-cache-dir = true",
    ]
)
_SECTIONS = st.lists(
    st.sampled_from(["global", "install", "download", "freeze", "Global"]), unique=True
)


@st.composite
def pip_files(draw: st.DrawFn) -> str:
    eol = draw(st.sampled_from(["\n", "\r\n"]))
    lines = draw(st.lists(st.sampled_from(["# header", "", ";x"]), max_size=2))
    for section in draw(_SECTIONS):
        lines.append(f"[{section}]")
        lines.extend(draw(st.lists(_PIP_OPTIONS, max_size=5)))
    text = eol.join(line.replace("\n", eol) for line in lines)
    return text + (eol if draw(st.booleans()) else "")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(original=pip_files(), extra=st.booleans(), twice=st.booleans())
def test_pip_setup_then_remove_is_byte_identical_for_any_file(original, extra, twice):
    try:
        pip_values(original)
    except configparser.Error:
        with pytest.raises(SetupError):
            setup_pip.plan(original, P, URL, extra)
        return
    new = setup_pip.plan(original, P, URL, extra)
    if twice:
        new = setup_pip.plan(new, P, URL, not extra)
        extra = not extra
    values = pip_values(new)
    assert values[("global", "keyring-provider")] == "subprocess"
    assert URL in values[("global", "extra-index-url" if extra else "index-url")].split()
    assert undo_text(new, setup_pip) == original


# --- uv -------------------------------------------------------------------------------
UV_ORIGINALS = [
    "",
    "native-tls = true\n",
    "native-tls = true",
    'keyring-provider = "disabled"\nnative-tls = true\n',
    '# mine\nkeyring-provider = "disabled"\n\n[pip]\nno-build = true\n',
    '[[index]]\nname = "corp"\nurl = "https://corp.example/simple"\ndefault = true\n',
    '[pip]\r\nno-build = true\r\n\r\n[[index]]\r\nname = "corp"\r\nurl = "https://c/simple"',
    'no-binary-package = [\n  "a",\n  "b",\n]\n[pip]\nkeyring-provider = "disabled"\n',
    '[[index]]\nname = "a"\nurl = "https://a/simple"\n[[index]]\nname = "b"\nurl = "https://b/s"',
]


@pytest.mark.parametrize("extra", [False, True], ids=["default", "extra"])
@pytest.mark.parametrize("original", UV_ORIGINALS)
def test_uv_setup_then_remove_restores_the_text(original, extra):
    new = setup_uv.plan(original, Path("uv.toml"), UV_URL, extra)
    data = tomllib.loads(new)
    assert data["keyring-provider"] == "subprocess"
    before = tomllib.loads(original)
    theirs = before.get("index", [])
    if extra:
        assert data["index"][0] == {"name": "aqora", "url": UV_URL, "authenticate": "always"}
        assert data["index"][1:] == theirs
    else:  # index-url, which --index-url overrides; no other index stays the default
        assert data["index-url"] == UV_URL
        assert data.get("index", []) == [{k: v for k, v in i.items() if k != "default"} for i in theirs]
    ours = ("index", "keyring-provider", "index-url")
    assert {k: v for k, v in data.items() if k not in ours} == {
        k: v for k, v in before.items() if k not in ours
    }
    assert undo_text(new, setup_uv) == original
    again = setup_uv.plan(new, Path("uv.toml"), UV_URL + "x/", not extra)
    assert undo_text(again, setup_uv) == original


def test_uv_refuses_an_index_named_aqora_and_invalid_toml():
    with pytest.raises(SetupError, match="already has an index named"):
        setup_uv.plan('[[index]]\nname = "aqora"\nurl = "https://x/simple"\n', P, UV_URL, True)
    with pytest.raises(SetupError, match="not valid TOML"):
        setup_uv.plan("[pip\n", P, UV_URL, False)
    with pytest.raises(SetupError):
        setup_uv.plan('index = [{name = "x", url = "https://x/"}]\n', P, UV_URL, True)
    with pytest.raises(SetupError, match="unusual"):  # default = true not on a line of its own
        setup_uv.plan('index = [{name = "x", url = "https://x/", default = true}]\n', P, UV_URL, False)


_UV_TOP = st.sampled_from(
    ['native-tls = true', 'keyring-provider = "disabled"', "# c", "", 'index-url = "https://x/s"',
     'no-binary-package = [\n  "a",\n  [1],\n]']
)  # fmt: skip
_UV_TABLES = st.sampled_from(
    ['[pip]\nno-build = true', '[[index]]\nname = "corp"\nurl = "https://c/s"',
     '[[index]]\nname = "d"\nurl = "https://d/s"\ndefault = true\n# after', "[cache-keys]",
     '[pip]\nkeyring-provider = "disabled"']
)  # fmt: skip


@st.composite
def uv_files(draw: st.DrawFn) -> str:
    eol = draw(st.sampled_from(["\n", "\r\n"]))
    parts = draw(st.lists(_UV_TOP, max_size=3)) + draw(st.lists(_UV_TABLES, max_size=3))
    text = eol.join(p.replace("\n", eol) for p in parts)
    return text + (eol if draw(st.booleans()) else "")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(original=uv_files(), extra=st.booleans())
def test_uv_setup_then_remove_is_byte_identical_for_any_file(original, extra):
    try:
        tomllib.loads(original)
    except tomllib.TOMLDecodeError:
        with pytest.raises(SetupError):
            setup_uv.plan(original, P, UV_URL, extra)
        return
    new = setup_uv.plan(original, P, UV_URL, extra)
    assert tomllib.loads(new)["keyring-provider"] == "subprocess"
    assert undo_text(new, setup_uv) == original
