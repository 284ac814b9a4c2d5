"""doors/insecure_registries: the parsers that decide whether a Docker-protocol client
may reach a registry without TLS verification, table by table, in this process.

Every input comes from a table here: command lines (what /proc would show), containers'
registries.conf (TOML), Docker's daemon.json (JSON) and insecure-registry entries
(host[:port], http(s)://, CIDR). The /proc and file readers are exercised on files under
tmp_path, and `tls_off_reason` with its sources replaced. The same checks with skopeo, a
local dockerd stand-in and real config files: tests/e2e/security/test_tls_downgrade.py.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from aqora_helper.doors import insecure_registries as ir

# --- the client's command line ---------------------------------------------------------

TLS_OFF_FLAGS = [  # (argv, the argument named as turning TLS verification off)
    (["skopeo", "copy", "--tls-verify=false", "a", "b"], "--tls-verify=false"),
    (["skopeo", "copy", "--src-tls-verify=FALSE", "a", "b"], "--src-tls-verify=FALSE"),
    (["skopeo", "copy", "--dest-tls-verify=0", "a", "b"], "--dest-tls-verify=0"),
    (["podman", "pull", "--tls-verify=f", "x"], "--tls-verify=f"),
    (["crane", "pull", "--insecure", "x", "y"], "--insecure"),
    (["crane", "pull", "--insecure=true", "x", "y"], "--insecure"),
    (["oras", "pull", "--plain-http", "x"], "--plain-http"),
    (["nerdctl", "--insecure-registry", "pull", "x"], "--insecure-registry"),
    (["kaniko", "--insecure-pull"], "--insecure-pull"),
    (["kaniko", "--skip-tls-verify"], "--skip-tls-verify"),
    (["kaniko", "--skip-tls-verify-pull"], "--skip-tls-verify-pull"),
    (["kaniko", "--skip-tls-verify-registry=reg.example"], "--skip-tls-verify-registry"),
    (["helm", "pull", "--insecure-skip-tls-verify"], "--insecure-skip-tls-verify"),
    (["cosign", "sign", "--allow-insecure-registry"], "--allow-insecure-registry"),
    (["cosign", "sign", "--allow-http-registry=yes"], "--allow-http-registry"),
]
TLS_ON = [  # command lines that say nothing against TLS verification
    [],
    ["skopeo", "copy", "--tls-verify=true", "a", "b"],
    ["skopeo", "copy", "--tls-verify", "a", "b"],  # a bare bool flag is true
    ["skopeo", "copy", "--tls-verify", "false", "a"],  # Go flags need `=` for a value
    ["crane", "pull", "--insecure=false", "x"],
    ["oras", "pull", "--plain-http=0", "x"],
    ["tool", "--insecurely", "--plain-https", "-insecure"],  # not the flags
    ["tool", "--tls-verify-other=false"],
    ["echo", "tls-verify=false", "insecure"],  # not flags at all
]


@pytest.mark.parametrize(("argv", "flag"), TLS_OFF_FLAGS)
def test_a_flag_that_turns_tls_verification_off_is_named(argv: list[str], flag: str) -> None:
    assert ir._tls_off_flag(argv) == flag


@pytest.mark.parametrize("argv", TLS_ON)
def test_a_command_line_without_such_a_flag_is_none(argv: list[str]) -> None:
    assert ir._tls_off_flag(argv) is None


FLAG_VALUES = [  # (commands, flag, values)
    ([["dockerd", "--insecure-registry", "a:5000", "--insecure-registry=b"]],
     "--insecure-registry", ["a:5000", "b"]),
    ([["dockerd", "--config-file"]], "--config-file", [""]),  # last argument: no value
    ([["x", "--config-file=/a"], ["y", "--config-file", "/b"]], "--config-file", ["/a", "/b"]),
    ([["x", "--config-files=/a", "--config-file-x", "/b"]], "--config-file", []),
    ([["skopeo", "--registries-conf", "/etc/r.conf", "copy"]], "--registries-conf",
     ["/etc/r.conf"]),
    ([], "--insecure-registry", []),
]  # fmt: skip


@pytest.mark.parametrize(("commands", "flag", "values"), FLAG_VALUES)
def test_flag_values_in_both_spellings(
    commands: list[list[str]], flag: str, values: list[str]
) -> None:
    assert ir._flag_values(commands, flag) == values


STAT_LINES = [  # (/proc/PID/stat, parent pid)
    ("123 (skopeo) S 45 123 45 0 -1", 45),
    ("123 (my (odd) name) R 7 1 1", 7),  # the name may hold parentheses and spaces
    ("123 (a) b) S 9 1", 9),
    ("", 0),
    ("123 (x) S notapid", 0),
    ("garbage", 0),
]


@pytest.mark.parametrize(("stat_line", "parent"), STAT_LINES)
def test_the_parent_pid_is_read_after_the_name(
    monkeypatch: pytest.MonkeyPatch, stat_line: str, parent: int
) -> None:
    monkeypatch.setattr(ir, "_read_proc", lambda path: stat_line)
    assert ir._parent_of(123) == parent


def fake_proc(monkeypatch: pytest.MonkeyPatch, files: dict[str, str]) -> list[str]:
    """/proc as `files` says (absent: ''); returns the paths read, in order."""
    read: list[str] = []

    def read_proc(path: str) -> str:
        read.append(path)
        return files.get(path, "")

    monkeypatch.setattr(ir, "_read_proc", read_proc)
    return read


ANCESTRY = [  # (ppid, /proc, the command lines found)
    (100, {"/proc/100/cmdline": "skopeo\0copy\0", "/proc/100/stat": "100 (skopeo) S 50",
           "/proc/50/cmdline": "bash\0-c\0x\0", "/proc/50/stat": "50 (bash) S 1"},
     [["skopeo", "copy"], ["bash", "-c", "x"]]),  # stops at pid 1
    (100, {"/proc/100/cmdline": "a\0", "/proc/100/stat": "100 (a) S 90",
           "/proc/90/cmdline": "b\0", "/proc/90/stat": "90 (b) S 80",
           "/proc/80/cmdline": "c\0", "/proc/80/stat": "80 (c) S 70",
           "/proc/70/cmdline": "d\0"},
     [["a"], ["b"], ["c"]]),  # ANCESTORS levels, no more
    (1, {}, []),  # run by init: no ancestor to read
    (100, {}, [[]]),  # /proc absent: an empty command line, then parent 0
]  # fmt: skip


@pytest.mark.parametrize(("ppid", "files", "commands"), ANCESTRY)
def test_the_command_lines_of_the_parent_and_its_parents(
    monkeypatch: pytest.MonkeyPatch, ppid: int, files: dict[str, str], commands: list[list[str]]
) -> None:
    assert ir.ANCESTORS == 3
    fake_proc(monkeypatch, files)
    monkeypatch.setattr(ir.lightos, "getppid", lambda: ppid)
    assert ir._ancestor_commands() == commands


def test_a_proc_file_is_read_whole_up_to_the_cap(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    small = tmp_path / "cmdline"
    small.write_bytes(b"skopeo\0copy\0")
    assert ir._read_proc(str(small)) == "skopeo\0copy\0"
    assert ir._read_proc(str(tmp_path / "gone")) == ""
    big = tmp_path / "big"
    big.write_bytes(b"x" * (3 * ir.READ_CHUNK))
    monkeypatch.setattr(ir, "MAX_CONFIG_BYTES", ir.READ_CHUNK + 5)
    assert ir._read_proc(str(big)) == "x" * (ir.READ_CHUNK + 5)
    broken = tmp_path / "broken"
    broken.write_bytes(b"\xff\xfeok")
    assert ir._read_proc(str(broken)) == "\ufffd\ufffdok"
    assert ir._read_proc(str(tmp_path)) == ""  # a directory cannot be read


# --- registries.conf -------------------------------------------------------------------

REGISTRIES_CONF = [  # (registries.conf, hostport asked, insecure?)
    ("", "reg.example:5000", False),
    ('[[registry]]\nprefix = "reg.example"\ninsecure = true\n', "reg.example:5000", True),
    ('[[registry]]\nprefix = "reg.example"\ninsecure = true\n', "reg.example", True),
    ('[[registry]]\nprefix = "reg.example:5000"\ninsecure = true\n', "reg.example:5001", False),
    ('[[registry]]\nprefix = "reg.example"\ninsecure = false\n', "reg.example", False),
    ('[[registry]]\nprefix = "reg.example"\ninsecure = "true"\n', "reg.example", False),
    ('[[registry]]\nprefix = "other.example"\ninsecure = true\n', "reg.example", False),
    ('[[registry]]\nprefix = "docker.io"\nlocation = "reg.example:5000"\ninsecure = true\n',
     "reg.example:5000", True),  # the location is what the client reaches
    ('[[registry]]\nprefix = "reg.example/team"\ninsecure = true\n', "reg.example", True),
    ('[[registry]]\nprefix = "*.example"\ninsecure = true\n', "reg.example:443", True),
    ('[[registry]]\nprefix = "*.example"\ninsecure = true\n', "example", False),
    ('[[registry]]\nlocation = "docker.io"\n[[registry.mirror]]\nlocation = "reg.example"\n'
     "insecure = true\n", "reg.example", True),
    ('[[registry]]\nlocation = "docker.io"\n[[registry.mirror]]\nlocation = "reg.example"\n',
     "reg.example", False),
    ('[[registry]]\nlocation = "reg.example"\ninsecure = false\n[[registry.mirror]]\n'
     'location = "mirror.example"\ninsecure = true\n', "reg.example", False),
    ('[registries.insecure]\nregistries = ["reg.example", "other.example"]\n',
     "reg.example:5000", True),  # v1
    ('[registries.insecure]\nregistries = ["other.example"]\n', "reg.example", False),
    ('[registries.insecure]\nregistries = "reg.example"\n', "reg.example", False),
    ('[registries]\ninsecure = ["reg.example"]\n', "reg.example", False),
    ('# insecure = true\n[[registry]]\nprefix = "reg.example"\n', "reg.example", False),
    ('[[registry]\nprefix = "reg.example"\ninsecure = true\n', "reg.example", False),  # broken
    ('registry = "reg.example"\ninsecure = true\n', "reg.example", False),
    ('registry = ["reg.example", 5]\ninsecure = true\n', "reg.example", False),
    ('[[registry]]\nprefix = "REG.Example"\ninsecure = true\n', "reg.example", True),
    ('[[registry]]\nprefix = "[::1]:5000"\ninsecure = true\n', "[::1]:5000", True),
]  # fmt: skip


@pytest.mark.parametrize(("text", "hostport", "insecure"), REGISTRIES_CONF)
def test_registries_conf(text: str, hostport: str, insecure: bool) -> None:
    assert ir._registries_conf_insecure(text, hostport) is insecure


INSECURE_ENDPOINTS = [  # (the `registry` value of a registries.conf, endpoints found)
    (None, []),
    ("reg.example", []),
    ([{"prefix": "a", "location": "b"}], []),
    ([{"insecure": True, "prefix": "a", "location": "b"}], ["a", "b"]),
    ([{"insecure": True, "prefix": "a"}], ["a"]),
    ([{"insecure": True, "location": ""}], []),
    ([{"insecure": 1, "prefix": "a"}], []),  # only the TOML boolean true counts
    (["a", 5, {"insecure": True, "location": "c"}], ["c"]),
    ([{"mirror": [{"location": "m1", "insecure": True}, {"location": "m2"}, "m3"]}], ["m1"]),
    ([{"mirror": {"location": "m1", "insecure": True}}], []),
]


@pytest.mark.parametrize(("entries", "endpoints"), INSECURE_ENDPOINTS)
def test_insecure_endpoints(entries: object, endpoints: list[str]) -> None:
    assert ir._insecure_endpoints(entries) == endpoints


LOCATIONS = [  # (registries.conf location or Docker entry, hostport asked, covered?)
    ("reg.example:5000", "reg.example:5000", True),
    ("reg.example", "reg.example:5000", True),  # a host without a port covers any port
    ("reg.example:5000", "reg.example", False),
    ("reg.example:5001", "reg.example:5000", False),
    ("REG.Example/path/x", "reg.example", True),
    ("  reg.example  ", "reg.example", True),
    ("*.example", "reg.example:5000", True),
    ("*.example", "a.b.example", True),
    ("*.example", "example", False),
    ("*.example", "badexample", False),
    ("other.example", "reg.example", False),
    ("reg", "reg.example", False),
    ("[::1]:5000", "[::1]:5000", True),
    ("[::1]", "[::1]:5000", True),
    ("::1", "::1", True),
    ("", "reg.example", False),
]


@pytest.mark.parametrize(("location", "hostport", "covered"), LOCATIONS)
def test_location_matches(location: str, hostport: str, covered: bool) -> None:
    assert ir._location_matches(location, hostport) is covered


HOSTS = [
    ("reg.example:5000", "reg.example"),
    ("reg.example", "reg.example"),
    ("[::1]:5000", "[::1]"),
    ("[::1]", "[::1]"),
    ("::1", "::1"),  # more than one colon and no brackets: an IPv6 address, no port
    ("127.0.0.1:80", "127.0.0.1"),
]


@pytest.mark.parametrize(("hostport", "host"), HOSTS)
def test_host_of(hostport: str, host: str) -> None:
    assert ir._host_of(hostport) == host


def test_every_registries_conf_a_client_may_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home, config = tmp_path / "home", tmp_path / "config"
    drop_ins = config / "containers" / "registries.conf.d"
    drop_ins.mkdir(parents=True)
    for name in ("b.conf", "a.conf", "c.txt", "d.conf.bak"):
        (drop_ins / name).write_text("")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(config))
    monkeypatch.setenv("CONTAINERS_REGISTRIES_CONF", "/env/registries.conf")
    commands = [["skopeo", "--registries-conf=/flag/r.conf", "copy"], ["sh", "-c", "x"]]
    files = ir._registries_confs(commands)
    user = str(config / "containers" / "registries.conf")
    ours = [
        "/env/registries.conf",
        "/flag/r.conf",
        "/etc/containers/registries.conf",
        user,
        str(drop_ins / "a.conf"),
        str(drop_ins / "b.conf"),
    ]
    assert [f for f in files if f in ours] == ours  # in this order
    system = [f for f in files if f not in ours]  # this machine's own drop-ins, if any
    assert all(f.startswith("/etc/containers/registries.conf.d/") for f in system), files
    assert len(files) == len(set(files))

    monkeypatch.delenv("CONTAINERS_REGISTRIES_CONF")
    monkeypatch.delenv("XDG_CONFIG_HOME")
    files = ir._registries_confs([])
    assert "" not in files
    assert str(home / ".config" / "containers" / "registries.conf") in files


def test_drop_ins_are_the_conf_files_in_name_order(tmp_path: Path) -> None:
    assert ir._drop_ins(str(tmp_path / "absent")) == []
    for name in ("20-b.conf", "10-a.conf", "readme", "x.conf~"):
        (tmp_path / name).write_text("")
    assert ir._drop_ins(str(tmp_path)) == [
        str(tmp_path / "10-a.conf"),
        str(tmp_path / "20-b.conf"),
    ]


# --- Docker's daemon.json and --insecure-registry ------------------------------------

DAEMON_JSON = [  # (daemon.json, hostport asked, insecure?)
    ("", "reg.example", False),
    ("{}", "reg.example", False),
    ('{"insecure-registries": ["reg.example:5000"]}', "reg.example:5000", True),
    ('{"insecure-registries": ["reg.example"]}', "reg.example:5000", True),
    ('{"insecure-registries": ["reg.example:5000"]}', "reg.example:443", False),
    ('{"insecure-registries": ["http://reg.example:5000"]}', "reg.example:5000", True),
    ('{"insecure-registries": ["HTTPS://Reg.Example"]}', "reg.example", True),
    ('{"insecure-registries": ["10.0.0.0/8"]}', "10.1.2.3:5000", True),
    ('{"insecure-registries": ["10.0.0.0/8"]}', "11.0.0.1:5000", False),
    ('{"insecure-registries": ["::1/128"]}', "[::1]:5000", True),
    ('{"insecure-registries": [5, null, {"a": 1}, "reg.example"]}', "reg.example", True),
    ('{"insecure-registries": "reg.example"}', "reg.example", False),
    ('{"insecure-registries": ["reg.example"]', "reg.example", False),  # broken JSON
    ('["insecure-registries", "reg.example"]', "reg.example", False),  # not an object
    ('{"registry-mirrors": ["https://reg.example"]}', "reg.example", False),
    ('{"insecure-registries": []}', "reg.example", False),
]


@pytest.mark.parametrize(("text", "hostport", "insecure"), DAEMON_JSON)
def test_daemon_json(text: str, hostport: str, insecure: bool) -> None:
    assert ir._daemon_json_insecure(text, hostport) is insecure


ENTRIES = [  # (insecure-registry entries, hostport asked, covered?)
    ([], "reg.example", False),
    ([" reg.example "], "reg.example", True),
    (["http://reg.example"], "reg.example", True),
    (["ftp://127.0.0.1"], "127.0.0.1", False),  # not a scheme Docker drops: no match
    (["127.0.0.0/8"], "127.0.0.1:5000", True),
    (["127.0.0.1/32", "reg.example"], "127.0.0.2", False),
    (["not-a-network/99"], "127.0.0.1", False),  # an invalid network is skipped
    (["not-a-network/99", "127.0.0.0/8"], "127.0.0.1", True),
    (["fe80::/10"], "[fe80::1]:5000", True),
    (["10.0.0.0/8"], "[::1]", False),
]


@pytest.mark.parametrize(("entries", "hostport", "covered"), ENTRIES)
def test_entries_cover(entries: list[object], hostport: str, covered: bool) -> None:
    assert ir._entries_cover(entries, hostport) is covered


def resolver(addresses: dict[str, list[str]]) -> Callable[..., list[object]]:
    """A getaddrinfo stand-in answering from `addresses`."""

    def getaddrinfo(host: str, port: object, *args: object, **kwargs: object) -> list[object]:
        if host not in addresses:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, 0)) for a in addresses[host]]

    return getaddrinfo


NAMES = [  # (host, what it resolves to, networks, in one of them?)
    ("reg.example", ["10.1.2.3"], ["10.0.0.0/8"], True),
    ("reg.example", ["192.0.2.1", "10.1.2.3"], ["10.0.0.0/8"], True),  # any address
    ("reg.example", ["192.0.2.1"], ["10.0.0.0/8"], False),
    ("link.example", ["fe80::1%eth0"], ["fe80::/10"], True),  # the scope is dropped
    ("gone.example", [], ["10.0.0.0/8"], False),  # no answer: not covered
]


@pytest.mark.parametrize(("host", "addresses", "networks", "inside"), NAMES)
def test_a_name_is_resolved_as_docker_resolves_it(
    monkeypatch: pytest.MonkeyPatch,
    host: str,
    addresses: list[str],
    networks: list[str],
    inside: bool,
) -> None:
    known = {host: addresses} if addresses else {}
    monkeypatch.setattr(socket, "getaddrinfo", resolver(known))
    assert ir._in_networks(host, networks) is inside


def test_a_name_that_cannot_be_encoded_is_not_covered(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> list[object]:
        raise UnicodeError("label too long")

    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    assert ir._in_networks("x" * 100 + ".example", ["0.0.0.0/0"]) is False


def test_every_daemon_json_of_a_local_docker(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    daemons = [["dockerd", "--config-file", "/etc/docker/daemon.json", "--config-file=/x.json"]]
    assert ir._daemon_jsons(daemons) == [
        "/etc/docker/daemon.json",
        str(tmp_path / "config" / "docker" / "daemon.json"),
        str(tmp_path / "home" / ".docker" / "daemon.json"),
        "/x.json",
    ]
    monkeypatch.delenv("XDG_CONFIG_HOME")
    assert ir._daemon_jsons([])[1] == str(tmp_path / "home" / ".config" / "docker" / "daemon.json")


DOCKERD = [  # (XDG_RUNTIME_DIR, pid files, /proc, dockerd command lines found)
    ("", {"/run/docker.pid": "42\n"},
     {"/proc/42/comm": "dockerd\n", "/proc/42/cmdline": "dockerd\0--insecure-registry\0r:5000\0"},
     [["dockerd", "--insecure-registry", "r:5000"]]),
    ("", {"/run/docker.pid": "42\n", "/var/run/docker.pid": "42"},  # one dockerd, two names
     {"/proc/42/comm": "dockerd\n", "/proc/42/cmdline": "dockerd\0"}, [["dockerd"]]),
    ("", {"/run/docker.pid": "42"}, {"/proc/42/comm": "bash\n", "/proc/42/cmdline": "dockerd\0"},
     []),  # a stale pid file naming another process
    ("", {"/run/docker.pid": "not a pid"}, {}, []),
    ("", {}, {}, []),
    ("/run/user/1000", {"/run/user/1000/docker.pid": "7"},
     {"/proc/7/comm": "dockerd", "/proc/7/cmdline": "dockerd\0--rootless\0"},
     [["dockerd", "--rootless"]]),  # rootless
    ("relative/run", {"relative/run/docker.pid": "7"},
     {"/proc/7/comm": "dockerd", "/proc/7/cmdline": "dockerd\0"}, []),  # not an absolute dir
]  # fmt: skip


@pytest.mark.parametrize(("runtime", "pid_files", "proc", "commands"), DOCKERD)
def test_the_local_dockerd_is_found_by_its_pid_file(
    monkeypatch: pytest.MonkeyPatch,
    runtime: str,
    pid_files: dict[str, str],
    proc: dict[str, str],
    commands: list[list[str]],
) -> None:
    monkeypatch.setenv("XDG_RUNTIME_DIR", runtime)
    monkeypatch.setattr(ir, "_read", lambda path: pid_files.get(path, ""))
    read = fake_proc(monkeypatch, proc)
    assert ir._dockerd_commands() == commands
    cmdlines = [path for path in read if path.endswith("/cmdline")]
    assert len(cmdlines) == len(commands)  # only a process named dockerd is read


def test_a_config_file_is_read_without_blocking_and_within_bounds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    conf = tmp_path / "registries.conf"
    conf.write_text('[[registry]]\nprefix = "ü"\n')
    assert ir._read(str(conf)) == '[[registry]]\nprefix = "ü"\n'
    assert ir._read(str(tmp_path / "absent")) == ""
    assert ir._read(str(tmp_path)) == ""  # a directory
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    assert ir._read(str(fifo)) == ""  # never waits for a writer
    link = tmp_path / "link"
    link.symlink_to(conf)
    assert ir._read(str(link)) == conf.read_text()  # a symlinked config is read
    monkeypatch.setattr(ir, "MAX_CONFIG_BYTES", 8)
    assert ir._read(str(conf)) == ""  # too large: as if absent


# --- tls_off_reason: every source, in order ---------------------------------------------


@pytest.fixture
def sources(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """What tls_off_reason reads, as a table the test fills (nothing from this machine)."""
    table: dict[str, Any] = {"commands": [], "files": {}, "daemons": []}
    monkeypatch.setattr(ir, "_ancestor_commands", lambda: table["commands"])
    monkeypatch.setattr(ir, "_dockerd_commands", lambda: table["daemons"])
    monkeypatch.setattr(ir, "_read", lambda path: table["files"].get(path, ""))
    monkeypatch.setattr(ir, "_registries_confs", lambda commands: ["/r.conf"])
    monkeypatch.setattr(ir, "_daemon_jsons", lambda daemons: ["/daemon.json"])
    return table


REASONS = [  # (client argv, registries.conf, daemon.json, dockerd argv, reason)
    ([], "", "", [], None),
    (["skopeo", "--tls-verify=false"], "", "", [], "the client runs with --tls-verify=false"),
    ([], '[[registry]]\nprefix = "reg.example"\ninsecure = true\n', "", [],
     "/r.conf marks it insecure"),
    ([], "", '{"insecure-registries": ["reg.example"]}', [],
     "/daemon.json lists it in insecure-registries"),
    ([], "", "", ["dockerd", "--insecure-registry=reg.example:5000"],
     "dockerd runs with --insecure-registry for it"),
    ([], "", "", ["dockerd", "--insecure-registry", "other.example"], None),
    (["skopeo", "--tls-verify=false"], '[[registry]]\nprefix = "reg.example"\ninsecure = true\n',
     "", [], "the client runs with --tls-verify=false"),  # the first source found is named
    (["podman", "pull"], '[[registry]]\nprefix = "other.example"\ninsecure = true\n',
     '{"insecure-registries": ["other.example"]}', [], None),
]  # fmt: skip


@pytest.mark.parametrize(("argv", "conf", "daemon_json", "dockerd", "reason"), REASONS)
def test_tls_off_reason_names_the_first_source_that_says_so(
    sources: dict[str, Any],
    argv: list[str],
    conf: str,
    daemon_json: str,
    dockerd: list[str],
    reason: str | None,
) -> None:
    sources["commands"] = [argv] if argv else []
    sources["daemons"] = [dockerd] if dockerd else []
    sources["files"] = {"/r.conf": conf, "/daemon.json": daemon_json}
    assert ir.tls_off_reason("reg.example:5000") == reason
