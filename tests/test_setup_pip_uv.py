"""`aqora-helper setup pip|uv`: what they write, that pip and uv read it, and that
`--remove` gives back the original bytes (or no file, when setup created it)."""

from __future__ import annotations

import configparser
import os
import stat
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aqora_helper.setup import pip as setup_pip
from aqora_helper.setup import uv as setup_uv
from aqora_helper.setup.textblocks import SetupError, strip_ours
from conftest import describe, run_cmd, write_config

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
    ours = data["index"][0]
    assert ours == {"name": "aqora", "url": UV_URL, "authenticate": "always"} | (
        {} if extra else {"default": True}
    )
    before = tomllib.loads(original)
    assert data["index"][1:] == before.get("index", [])
    assert {k: v for k, v in data.items() if k not in ("index", "keyring-provider")} == {
        k: v for k, v in before.items() if k not in ("index", "keyring-provider")
    }
    assert undo_text(new, setup_uv) == original
    again = setup_uv.plan(new, Path("uv.toml"), UV_URL + "x/", not extra)
    assert undo_text(again, setup_uv) == original


def test_uv_refuses_an_index_named_aqora_and_invalid_toml():
    with pytest.raises(SetupError, match="already has an index named"):
        setup_uv.plan('[[index]]\nname = "aqora"\nurl = "https://x/simple"\n', P, UV_URL, False)
    with pytest.raises(SetupError, match="not valid TOML"):
        setup_uv.plan("[pip\n", P, UV_URL, False)
    with pytest.raises(SetupError):
        setup_uv.plan('index = [{name = "x", url = "https://x/"}]\n', P, UV_URL, False)


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


# --- the commands, on real files --------------------------------------------------------
def setup_env(user_env: dict[str, str], tmp_path: Path) -> dict[str, str]:
    write_config(user_env, 'url = "https://aqora.example"\n[environments."https://aqora.example"]\n'
                 'hosts = ["aqora.example", "pypi.aqora.example"]\nusername = "bob"\n')  # fmt: skip
    env = {k: v for k, v in user_env.items() if k not in ("PIP_CONFIG_FILE", "UV_NO_CONFIG")}
    empty = tmp_path / "no-system-config"
    empty.mkdir(exist_ok=True)
    env["XDG_CONFIG_DIRS"] = str(empty)
    return env


def cli(tool: str, env: dict[str, str], *args: str):
    return run_cmd(["aqora-helper", "setup", tool, *args], env)


@pytest.mark.parametrize("tool", ["pip", "uv"])
@pytest.mark.parametrize(
    "original",
    [None, b"", b"[global]\ntimeout = 60", b"native-tls = true\r\n"],
    ids=["no-file", "empty", "pip-like", "uv-like"],
)
def test_setup_then_remove_restores_the_file(tool, original, user_env, tmp_path):
    env = setup_env(user_env, tmp_path)
    config = Path(env["XDG_CONFIG_HOME"])
    path = config / "pip" / "pip.conf" if tool == "pip" else config / "uv" / "uv.toml"
    if tool == "uv" and original == b"[global]\ntimeout = 60":
        original = b"[pip]\nno-build = true"
    if tool == "pip" and original == b"native-tls = true\r\n":
        original = b"[install]\r\nuser = true\r\n"
    if original is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(original)
        path.chmod(0o600)
    proc = cli(tool, env, "--index-url", UV_URL)
    assert proc.returncode == 0, describe(proc)
    assert path.exists()
    assert "undo with: aqora-helper setup" in proc.stderr
    assert "warning" not in proc.stderr, describe(proc)  # served host, nothing overrides it
    if original is not None:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600  # the file's mode is kept
    proc = cli(tool, env, "--remove")
    assert proc.returncode == 0, describe(proc)
    if original is None:
        assert not path.exists()
    else:
        assert path.read_bytes() == original
    proc = cli(tool, env, "--remove")  # idempotent
    assert proc.returncode == 0 and "nothing to remove" in proc.stderr, describe(proc)


def test_real_pip_reads_what_setup_pip_wrote(user_env, tmp_path):
    env = setup_env(user_env, tmp_path)
    proc = cli("pip", env, "--index-url", UV_URL)
    assert proc.returncode == 0, describe(proc)
    listed = run_cmd([sys.executable, "-m", "pip", "config", "list"], env)
    assert listed.returncode == 0, describe(listed)
    assert "global.keyring-provider='subprocess'" in listed.stdout, describe(listed)
    assert "global.index-url='https://bob@pypi.aqora.example/simple/'" in listed.stdout
    proc = cli("pip", env, "--index-url", "https://pypi.aqora.example/extra/", "--extra")
    assert proc.returncode == 0, describe(proc)
    listed = run_cmd([sys.executable, "-m", "pip", "config", "list"], env)
    assert "global.extra-index-url='https://bob@pypi.aqora.example/extra/'" in listed.stdout
    assert "global.index-url" not in listed.stdout  # the re-run replaced the first setup


def test_setup_edits_a_symlinked_config_at_its_target(user_env, tmp_path):
    env = setup_env(user_env, tmp_path)
    target = tmp_path / "dotfiles" / "uv.toml"
    target.parent.mkdir()
    target.write_bytes(b"native-tls = true\n")
    link = Path(env["XDG_CONFIG_HOME"]) / "uv" / "uv.toml"
    link.parent.mkdir(parents=True)
    link.symlink_to(target)
    assert cli("uv", env, "--index-url", UV_URL).returncode == 0
    assert link.is_symlink() and b"authenticate" in target.read_bytes()
    assert cli("uv", env, "--remove").returncode == 0
    assert link.is_symlink() and target.read_bytes() == b"native-tls = true\n"


def test_file_option_and_warnings(user_env, tmp_path):
    env = setup_env(user_env, tmp_path)
    custom = tmp_path / "custom.conf"
    env["PIP_CONFIG_FILE"] = str(custom)
    custom.write_text("[global]\ntimeout = 5\n")
    proc = cli("pip", env, "--index-url", "https://other.example/simple/")
    assert proc.returncode == 0, describe(proc)
    assert "config: added other.example to hosts of" in proc.stderr
    assert f"PIP_CONFIG_FILE={custom} is set" in proc.stderr
    proc = cli("pip", env, "--index-url", UV_URL, "--file", str(custom))
    assert proc.returncode == 0, describe(proc)
    assert "PIP_CONFIG_FILE" not in proc.stderr
    assert "keyring-provider = subprocess" in custom.read_text()
    assert cli("pip", env, "--remove", "--file", str(custom)).returncode == 0
    assert custom.read_text() == "[global]\ntimeout = 5\n"


@pytest.mark.parametrize("tool", ["pip", "uv"])
def test_bad_input_is_refused_and_changes_nothing(tool, user_env, tmp_path):
    env = setup_env(user_env, tmp_path)
    proc = cli(tool, env)
    assert proc.returncode == 2 and "--index-url" in proc.stderr, describe(proc)
    for url, text in [
        ("https://bob:secret@pypi.aqora.example/simple/", "contains a password"),
        ("http://pypi.aqora.example/simple/", "plain http"),
        ("ftp://pypi.aqora.example/", "expected https"),
    ]:
        proc = cli(tool, env, "--index-url", url)
        assert proc.returncode == 1 and text in proc.stderr, describe(proc)
        assert "secret" not in proc.stderr
    config = Path(env["XDG_CONFIG_HOME"])
    assert not (config / "pip").exists() and not (config / "uv").exists()
    path = config / tool / ("pip.conf" if tool == "pip" else "uv.toml")
    path.parent.mkdir(parents=True)
    broken = b"[global]\na = 1\na = 2\n" if tool == "pip" else b"[pip\n"
    path.write_bytes(broken)
    proc = cli(tool, env, "--index-url", UV_URL)
    assert proc.returncode == 1 and "error:" in proc.stderr, describe(proc)
    assert path.read_bytes() == broken
    half = b"# >>> aqora-helper setup " + tool.encode() + b" (undo: x) >>>\nkey = 1\n"
    path.write_bytes(half)
    proc = cli(tool, env, "--remove")
    assert proc.returncode == 1 and "has no end line" in proc.stderr, describe(proc)
    assert path.read_bytes() == half


def test_no_keyring_program_is_a_warning(user_env, tmp_path):
    env = setup_env(user_env, tmp_path)
    bindir = tmp_path / "bin"
    bindir.mkdir()
    (bindir / "aqora-helper").symlink_to(Path(sys.executable).parent / "aqora-helper")
    env["PATH"] = f"{bindir}{os.pathsep}/usr/bin{os.pathsep}/bin"
    proc = cli("uv", env, "--index-url", UV_URL)
    assert proc.returncode == 0, describe(proc)
    assert "no 'keyring' program on PATH" in proc.stderr
