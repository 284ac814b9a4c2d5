"""Every config editor of `aqora-helper setup` keeps the editor contract
(tests/shared/editor_contract.py): git's config, Docker's config.json, pip.conf, uv.toml,
the containers drop-in (`setup docker`), and aqora-helper's own config.toml when a setup
adds a host to it. Each class says only which file and which command lines.
"""

from __future__ import annotations

from pathlib import Path

from shared.editor_contract import CONFIG, INDEX_URL, EditorContract


class TestGitConfigEditor(EditorContract):
    setup_args = ("git",)
    remove_args = ("git", "--remove")
    seed = b"[user]\n\tname = Alice\n# my own comment\n"
    broken = b"[user\n\tname = Alice\n"

    def path(self, env: dict[str, str]) -> Path:
        return Path(env["HOME"]) / ".gitconfig"


class TestDockerConfigEditor(EditorContract):
    setup_args = ("docker",)
    remove_args = ("docker", "--remove")
    seed = b'{\n    "auths": {},\n    "detachKeys": "ctrl-e,e"\n}\n'
    broken = b'{"auths": '

    def path(self, env: dict[str, str]) -> Path:
        return Path(env["DOCKER_CONFIG"]) / "config.json"


class TestPipConfigEditor(EditorContract):
    setup_args = ("pip", "--index-url", INDEX_URL, "--replace")
    remove_args = ("pip", "--remove")
    seed = b"[global]\ntimeout = 60\n\n# mine\n"
    broken = b"[global\ntimeout = 60\n"

    def path(self, env: dict[str, str]) -> Path:
        return Path(env["XDG_CONFIG_HOME"]) / "pip" / "pip.conf"


class TestUvConfigEditor(EditorContract):
    setup_args = ("uv", "--index-url", INDEX_URL, "--replace")
    remove_args = ("uv", "--remove")
    seed = b"native-tls = true  # mine\n"
    broken = b"native-tls = \n"

    def path(self, env: dict[str, str]) -> Path:
        return Path(env["XDG_CONFIG_HOME"]) / "uv" / "uv.toml"


class TestContainersDropInEditor(EditorContract):
    """`setup docker` writes a drop-in of its own; a file already there that it did not
    write is the user's: left alone, with a warning."""

    setup_args = ("docker",)
    remove_args = ("docker", "--remove")
    seed = None
    broken = b'credential-helpers = ["containers-auth.json"]\n'
    broken_is_an_error = False

    def path(self, env: dict[str, str]) -> Path:
        folder = Path(env["HOME"]) / ".config" / "containers" / "registries.conf.d"
        return folder / "zz-aqora-helper.conf"


class TestConfigHostsEditor(EditorContract):
    """`setup docker HOST` (and `setup pip|uv --index-url`) adds a host no environment
    serves to config.toml, in place; removing a client's setup keeps it served."""

    setup_args = ("docker", "new-registry.example:5000")
    remove_args = None
    seed = b"# my environments\n" + CONFIG.encode() + b"# the end\n"
    broken = b'url = "https://aqora.example"\n[environments\n'

    def path(self, env: dict[str, str]) -> Path:
        return Path(env["XDG_CONFIG_HOME"]) / "aqora-helper" / "config.toml"
