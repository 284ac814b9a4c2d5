"""`credsStore: aqora` with no previous store, on Windows (sys.platform patched, keyring's
Credential Manager faked with CredWrite's limits): a record over the 2,560-byte UTF-16
blob is split into parts and read back whole; at the limit it is one item; the index
of registries grows past one item; what cannot be stored is refused before anything is
written; and Docker's own store (desktop, wincred) is preferred when it is on PATH."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from aqora_helper.engine import keyringparts, oskeyring
from aqora_helper.engine.dockerstore import INDEX_USER, STORE_SERVICE, KeyringStore, native_store
from aqora_helper.engine.errors import KeyringFailure

BLOB_BYTES = 2560  # CRED_MAX_CREDENTIAL_BLOB_SIZE
MAX_USERNAME = 513  # CRED_MAX_USERNAME_LENGTH


class CredentialManager:
    """keyring's WinVaultKeyring as CredWrite limits it: a secret is UTF-16 (2 bytes a
    BMP character, 4 beyond), at most BLOB_BYTES; a user name at most MAX_USERNAME."""

    def __init__(self, limited: bool = True) -> None:
        self.items: dict[tuple[str, str], str] = {}
        self.limited = limited
        self.writes = 0

    def get_password(self, service: str, username: str) -> str | None:
        return self.items.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        blob = len(password.encode("utf-16-le", "surrogatepass"))
        if self.limited and (blob > BLOB_BYTES or len(username) > MAX_USERNAME):
            raise KeyringFailure("CredWrite: the stub received bad data (1783)")
        self.writes += 1
        self.items[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.items.pop((service, username), None)


@pytest.fixture
def windows(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> CredentialManager:
    monkeypatch.setattr(sys, "platform", "win32")
    monkeypatch.setenv("LOCALAPPDATA", str(tmp_path / "local"))  # the store's lock file
    manager = CredentialManager()
    monkeypatch.setattr(oskeyring, "_chosen", [manager])
    return manager


def store(server: str, secret: str, username: str = "AWS") -> str:
    request = {"ServerURL": server, "Username": username, "Secret": secret}
    return KeyringStore(5.0).handle("store", json.dumps(request))


def get(server: str) -> dict[str, str]:
    return json.loads(KeyringStore(5.0).handle("get", server))


def record_length(secret: str, username: str = "AWS") -> int:
    """The UTF-16 bytes of the item `store` writes for this secret."""
    item = json.dumps({"Username": username, "Secret": secret})
    return len(item.encode("utf-16-le", "surrogatepass"))


def at_limit(extra: int = 0) -> str:
    """A secret whose record is BLOB_BYTES + 2 * extra bytes of UTF-16."""
    base = record_length("")
    return "t" * ((BLOB_BYTES - base) // 2 + extra)


def parts(manager: CredentialManager) -> list[str]:
    return [user for service, user in manager.items if user.startswith("\tpart\t")]


def test_a_record_at_the_limit_is_one_item(windows):
    secret = at_limit()
    assert record_length(secret) == BLOB_BYTES
    store("ecr.example", secret)
    assert not parts(windows)
    assert get("ecr.example")["Secret"] == secret


@pytest.mark.parametrize("extra", [1, 700, 3000])
def test_a_record_over_the_limit_is_split_and_read_back_whole(windows, extra):
    secret = at_limit(extra)  # an ECR-style token: several thousand characters
    store("ecr.example", secret)
    assert parts(windows), "stored whole: CredWrite would have refused it"
    assert get("ecr.example") == {"ServerURL": "ecr.example", "Username": "AWS", "Secret": secret}
    assert json.loads(KeyringStore(5.0).handle("list", "")) == {"ecr.example": "AWS"}


def test_characters_beyond_the_bmp_count_four_bytes(windows):
    secret = "\U0001f511" * 700 + "x"  # 2,804 bytes of UTF-16 in the secret alone
    store("ecr.example", secret)
    assert get("ecr.example")["Secret"] == secret


def test_replacing_or_erasing_a_split_record_leaves_no_parts(windows):
    store("ecr.example", at_limit(2000))
    store("ecr.example", "short")
    assert not parts(windows) and get("ecr.example")["Secret"] == "short"
    store("ecr.example", at_limit(2000))
    KeyringStore(5.0).handle("erase", "ecr.example")
    assert windows.items == {}


def test_the_index_does_not_cap_how_many_registries_fit(windows):
    servers = [f"registry-{n:02d}.{'long-subdomain-' * 8}example.com" for n in range(40)]
    for server in servers:
        store(server, "tok-" + server)
    index_item = windows.items[(STORE_SERVICE, INDEX_USER)]
    assert index_item.startswith("\tparts\t")  # it grew past one item
    assert json.loads(KeyringStore(5.0).handle("list", "")) == dict.fromkeys(servers, "AWS")
    assert all(get(server)["Secret"] == "tok-" + server for server in servers[::7])


@pytest.mark.parametrize(
    "server, secret",
    [
        ("r.example/" + "p" * MAX_USERNAME, "tok"),  # CredWrite's user name limit
        ("ecr.example", "t" * (keyringparts.MAX_PARTS * BLOB_BYTES)),  # beyond every part
    ],
)
def test_what_cannot_be_stored_is_refused_before_anything_is_written(windows, server, secret):
    store("kept.example", "kept")
    before = dict(windows.items)
    with pytest.raises(keyringparts.TooLarge) as refused:
        store(server, secret)
    assert "Windows Credential Manager" in refused.value.message and refused.value.hint
    assert windows.items == before


def test_off_windows_a_long_record_is_one_item(monkeypatch, tmp_path):
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    manager = CredentialManager(limited=False)
    monkeypatch.setattr(oskeyring, "_chosen", [manager])
    store("ecr.example", "t" * 10_000)
    assert not parts(manager) and get("ecr.example")["Secret"] == "t" * 10_000


@pytest.mark.parametrize(
    "platform, programs, expected",
    [
        ("win32", ["wincred"], "wincred"),
        ("win32", ["wincred", "desktop"], "desktop"),
        ("win32", [], None),
        ("linux", ["wincred", "desktop"], None),  # Linux: the Secret Service, as before
    ],
)
def test_dockers_own_store_is_preferred_on_windows(
    monkeypatch, tmp_path, platform, programs, expected
):
    monkeypatch.setenv("PATHEXT", ".EXE")
    for name in programs:  # Windows programs are .exe files (shutil.which adds PATHEXT)
        program = tmp_path / f"docker-credential-{name}{'.EXE' if platform == 'win32' else ''}"
        program.write_text("")
        program.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(sys, "platform", platform)
    assert native_store() == expected


def test_setup_creds_store_on_windows_delegates_to_wincred_and_undoes(monkeypatch, tmp_path):
    from aqora_helper.engine.dockerstore import delegate_for
    from aqora_helper.setup import docker as setup_docker

    monkeypatch.setenv("AQORA_HELPER_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setenv("PATHEXT", ".EXE")
    (tmp_path / "docker-credential-wincred.EXE").write_text("")
    (tmp_path / "docker-credential-wincred.EXE").chmod(0o755)
    monkeypatch.setattr(sys, "platform", "win32")
    config = tmp_path / "config.json"
    config.write_text('{\n  "auths": {}\n}\n')
    setup_docker.add_entries(config, ["registry.aqora.io"], creds_store=True)
    assert json.loads(config.read_text())["credsStore"] == "aqora"
    assert delegate_for(config) == "wincred"
    setup_docker.remove_entries(config, None)
    assert config.read_text() == '{\n  "auths": {}\n}\n' and delegate_for(config) is None
