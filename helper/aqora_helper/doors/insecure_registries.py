"""Is TLS verification off for a registry in the Docker-protocol client that runs us?

A client that does not verify TLS for a registry falls back to plain http when https
fails, and sends the credential it got from its helper there (skopeo 1.9 with
`--tls-verify=false` was seen doing exactly that): over plain http to a non-loopback
host anyone on the path reads it, and over https whoever answers with any certificate
gets it. So docker-credential-aqora hands no token for a non-loopback host that the
client is told to reach without verification:

- the command line of the client (our parent, or a wrapper's parent; Linux `/proc`):
  `--tls-verify=false` and its `--src-`/`--dest-` forms (skopeo, podman, buildah),
  `--insecure`, `--plain-http` (crane, oras), `--insecure-registry` (nerdctl), and the
  like of kaniko, helm and cosign (`_INSECURE_FLAGS`);
- containers' `registries.conf` (system, user, drop-ins, `CONTAINERS_REGISTRIES_CONF`,
  `--registries-conf`): `[[registry]] insecure = true`
  (its prefix and its location), an insecure `[[registry.mirror]]`, or the v1
  `[registries.insecure]`;
- Docker's `daemon.json` (`/etc/docker`, rootless `~/.config/docker`, Docker Desktop's
  `~/.docker`, a running dockerd's `--config-file`) and a running dockerd's
  `--insecure-registry` flags: by host[:port] or by network (CIDR) of its addresses.

A remote Docker daemon's configuration cannot be seen (see the README). Stdlib only.
"""

import sys

from ..fast import lightos
from ..fast.errors import UnsafeStorage
from ..fast.privatefiles import READ_CHUNK, read_regular_file

TYPE_CHECKING = False  # typing is not imported at run time
if TYPE_CHECKING:
    from collections.abc import Sequence

MAX_CONFIG_BYTES = 1 << 20
ANCESTORS = 3  # the client, or a wrapper script and the client behind it
FALSE = ("false", "0", "f")
_TLS_FLAGS = ("--tls-verify", "--src-tls-verify", "--dest-tls-verify")
_INSECURE_FLAGS = (
    "--insecure",  # crane, oras, kaniko
    "--plain-http",  # oras, helm
    "--insecure-registry",  # nerdctl, kaniko, ko
    "--insecure-pull",  # kaniko
    "--skip-tls-verify",  # kaniko
    "--skip-tls-verify-pull",  # kaniko
    "--skip-tls-verify-registry",  # kaniko
    "--insecure-skip-tls-verify",  # helm
    "--allow-insecure-registry",  # cosign
    "--allow-http-registry",  # cosign
)


def tls_off_reason(hostport: str) -> str | None:
    """Why the client reaching `hostport` (lower-case `host[:port]`, as the client asked)
    may not verify TLS for it, or None when nothing says so."""
    commands = _ancestor_commands()
    for argv in commands:
        flag = _tls_off_flag(argv)
        if flag is not None:
            return f"the client runs with {flag}"
    for path in _registries_confs(commands):
        if _registries_conf_insecure(_read(path), hostport):
            return f"{path} marks it insecure"
    daemons = _dockerd_commands()
    for path in _daemon_jsons(daemons):
        if _daemon_json_insecure(_read(path), hostport):
            return f"{path} lists it in insecure-registries"
    if _entries_cover(_flag_values(daemons, "--insecure-registry"), hostport):
        return "dockerd runs with --insecure-registry for it"
    return None


def _read(path: str) -> str:
    """A config file's text ('' when absent, unreadable, not a regular file or huge);
    never blocks on a FIFO."""
    try:
        data = read_regular_file(path, MAX_CONFIG_BYTES)
    except UnsafeStorage:
        return ""
    return "" if data is None else data.decode("utf-8", "replace")


# --- the client's command line -------------------------------------------------------


def _ancestor_commands() -> list[list[str]]:
    """argv of our parent and its parents (up to ANCESTORS); [] where /proc is absent."""
    commands: list[list[str]] = []
    pid = lightos.getppid()
    for generation in range(1, ANCESTORS + 1):
        if pid <= 1:
            break
        raw = _read_proc(f"/proc/{pid}/cmdline")
        commands.append([arg for arg in raw.split("\0") if arg])
        if generation < ANCESTORS:  # the last one's parent is not read
            pid = _parent_of(pid)
    return commands


def _read_proc(path: str) -> str:
    """A /proc file's text, at most MAX_CONFIG_BYTES ('' when unreadable). Its size is
    not known ahead: read in chunks small enough to need no fresh mapping each."""
    try:
        fd = lightos.open(path, lightos.O_RDONLY | lightos.O_CLOEXEC)
    except OSError:
        return ""
    chunks: list[bytes] = []
    size = 0
    try:
        while size < MAX_CONFIG_BYTES:
            chunk = lightos.read(fd, READ_CHUNK)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except OSError:
        return ""
    finally:
        lightos.close(fd)
    return b"".join(chunks)[:MAX_CONFIG_BYTES].decode("utf-8", "replace")


def _parent_of(pid: int) -> int:
    """The parent pid from /proc/PID/stat (its name, in parentheses, may hold spaces)."""
    fields = _read_proc(f"/proc/{pid}/stat").rpartition(")")[2].split()
    return int(fields[1]) if len(fields) > 1 and fields[1].isdigit() else 0


def _tls_off_flag(argv: list[str]) -> str | None:
    """The argument of `argv` that turns TLS verification off, or None."""
    for arg in argv:
        name, eq, value = arg.partition("=")
        if name in _TLS_FLAGS and eq and value.lower() in FALSE:
            return arg
        if name in _INSECURE_FLAGS and (not eq or value.lower() not in FALSE):
            return name
    return None


# --- registries.conf ---------------------------------------------------------------------


def _registries_confs(commands: list[list[str]]) -> list[str]:
    """Every registries.conf the client may read (a superset: all are checked)."""
    home = lightos.home()
    config = lightos.getenv("XDG_CONFIG_HOME") or lightos.join(home, ".config")
    files = [
        lightos.getenv("CONTAINERS_REGISTRIES_CONF") or "",
        *_flag_values(commands, "--registries-conf"),
        "/etc/containers/registries.conf",
        lightos.join(config, "containers", "registries.conf"),
    ]
    for folder in ("/etc/containers", lightos.join(config, "containers")):
        files.extend(_drop_ins(lightos.join(folder, "registries.conf.d")))
    return [path for path in dict.fromkeys(files) if path]


def _flag_values(commands: list[list[str]], flag: str) -> list[str]:
    values = []
    for argv in commands:
        for arg, after in zip(argv, [*argv[1:], ""], strict=True):
            if arg == flag:
                values.append(after)
            elif arg.startswith(flag + "="):
                values.append(arg[len(flag) + 1 :])
    return values


def _drop_ins(folder: str) -> list[str]:
    try:
        names = sorted(lightos.listdir(folder))
    except OSError:
        return []
    return [lightos.join(folder, name) for name in names if name.endswith(".conf")]


def _registries_conf_insecure(text: str, hostport: str) -> bool:
    """True when this registries.conf marks `hostport` (or its host) insecure."""
    if "insecure" not in text or not any(
        "insecure" in line.split("#", 1)[0] for line in text.splitlines()
    ):
        return False  # the common case: no TOML parsing needed
    if sys.version_info < (3, 11):  # pragma: no cover - no stdlib TOML parser there
        return hostport.split(":", 1)[0] in text  # named in a file that says insecure: refuse
    import tomllib

    try:
        data = tomllib.loads(text)
    except ValueError:
        return False  # the client refuses a broken file too
    locations = _insecure_endpoints(data.get("registry"))
    v1 = data.get("registries")
    v1_insecure = v1.get("insecure") if isinstance(v1, dict) else None
    if isinstance(v1_insecure, dict) and isinstance(v1_insecure.get("registries"), list):
        locations.extend(str(item) for item in v1_insecure["registries"])
    return any(_location_matches(location, hostport) for location in locations)


def _insecure_endpoints(entries: object) -> list[str]:
    """The prefix and location of every `[[registry]]` marked insecure, and the location
    of every insecure `[[registry.mirror]]`: the client reaches (and asks credentials
    for) the location and the mirrors, not the prefix."""
    found: list[str] = []
    for entry in entries if isinstance(entries, list) else []:
        if not isinstance(entry, dict):
            continue
        if entry.get("insecure") is True:
            found.extend(str(entry.get(key) or "") for key in ("prefix", "location"))
        mirrors = entry.get("mirror")
        for mirror in mirrors if isinstance(mirrors, list) else []:
            if isinstance(mirror, dict) and mirror.get("insecure") is True:
                found.append(str(mirror.get("location") or ""))
    return [location for location in found if location]


def _location_matches(location: str, hostport: str) -> bool:
    """A registries.conf prefix/location (`host[:port][/path]`, `*.domain`) or a Docker
    insecure registry that covers `hostport`: the same host[:port], or the host without
    a port (containers/image lets `host` match `host:5000`)."""
    pattern = location.strip().lower().split("/", 1)[0]
    host = _host_of(hostport)
    if pattern.startswith("*."):
        return host.endswith(pattern[1:])
    return pattern in (hostport, host)


def _host_of(hostport: str) -> str:
    if hostport.startswith("["):
        return hostport.split("]", 1)[0] + "]"
    return hostport.rsplit(":", 1)[0] if hostport.count(":") == 1 else hostport


# --- Docker's daemon.json -------------------------------------------------------------


def _daemon_jsons(daemons: list[list[str]]) -> list[str]:
    """The daemon.json files of a local Docker: system, rootless, Docker Desktop's
    (`~/.docker`), and any `--config-file` a running dockerd was given."""
    home = lightos.home()
    config = lightos.getenv("XDG_CONFIG_HOME") or lightos.join(home, ".config")
    files = [
        "/etc/docker/daemon.json",
        lightos.join(config, "docker", "daemon.json"),
        lightos.join(home, ".docker", "daemon.json"),
        *_flag_values(daemons, "--config-file"),
    ]
    return [path for path in dict.fromkeys(files) if path]


def _dockerd_commands() -> list[list[str]]:
    """argv of the local dockerd, found by the pid file it writes by default (rootful
    `/run/docker.pid`, rootless `$XDG_RUNTIME_DIR/docker.pid`; Linux `/proc`): a few
    reads, where scanning every process cost milliseconds on each get. A pid file left
    by a dockerd that is gone names another process, or none: skipped."""
    runtime = (lightos.getenv("XDG_RUNTIME_DIR") or "").strip()
    pid_files = ["/run/docker.pid", "/var/run/docker.pid"]
    if lightos.isabs(runtime):
        pid_files.append(lightos.join(runtime, "docker.pid"))
    commands = []
    for pid in dict.fromkeys(_read(path).strip() for path in pid_files):
        # the name first: reading another process's cmdline can wait on its memory
        if pid.isdigit() and _read_proc(f"/proc/{pid}/comm").strip() == "dockerd":
            commands.append([a for a in _read_proc(f"/proc/{pid}/cmdline").split("\0") if a])
    return commands


def _daemon_json_insecure(text: str, hostport: str) -> bool:
    """True when this daemon.json's `insecure-registries` covers `hostport`."""
    if "insecure-registries" not in text:
        return False
    from ..fast.jsonlite import loads  # `json` would import `re` on every get

    try:
        entries = loads(text).get("insecure-registries")
    except (ValueError, AttributeError):
        return False
    if not isinstance(entries, list):
        return False
    return _entries_cover(entries, hostport)


def _entries_cover(entries: "Sequence[object]", hostport: str) -> bool:
    """True when Docker insecure-registry entries (host[:port] or CIDR) cover `hostport`."""
    # Docker drops a leading http:// or https:// from an entry (with a warning)
    listed = [_without_scheme(e.strip()) for e in entries if isinstance(e, str)]
    names = [e.lower() for e in listed if "/" not in e]
    networks = [e for e in listed if "/" in e]
    if any(_location_matches(name, hostport) for name in names):
        return True
    return bool(networks) and _in_networks(_host_of(hostport).strip("[]"), networks)


def _without_scheme(entry: str) -> str:
    for scheme in ("http://", "https://"):
        if entry.lower().startswith(scheme):
            return entry[len(scheme) :]
    return entry


def _in_networks(host: str, networks: list[str]) -> bool:
    """True when an address of `host` lies in one of the CIDR `networks` (as Docker
    decides; a name is resolved, as Docker resolves it)."""
    import ipaddress
    import socket

    try:
        addresses = {ipaddress.ip_address(host)}
    except ValueError:
        try:
            infos = socket.getaddrinfo(host, None)
        except (OSError, UnicodeError):
            return False
        addresses = {ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in infos}
    for network in networks:
        try:
            net = ipaddress.ip_network(network, strict=False)
        except ValueError:
            continue
        if any(address in net for address in addresses):
            return True
    return False
