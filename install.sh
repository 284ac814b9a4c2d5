#!/bin/sh
# Install aqora-helper from this clone into an isolated venv and link its commands.
#
#   ./install.sh [--prefix DIR] [--bin-dir DIR] [--python PY] [--index-url URL]
#   ./install.sh --uninstall [--keep-sessions] [--prefix DIR] [--bin-dir DIR]
#
# --prefix    the venv (default: <user data dir>/aqora-helper/venv, i.e.
#             ${XDG_DATA_HOME:-~/.local/share}/aqora-helper/venv on Linux): a link to
#             DIR.a or DIR.b; each install builds the other one and switches the link
#             only once the new one runs, so a failed install leaves the old one working
# --bin-dir   where the commands are linked (default: ~/.local/bin)
# --python    the interpreter to build the venv with (default: python3; needs >= 3.10)
# --index-url the package index for the dependencies (default: PIP_INDEX_URL, else
#             PyPI); your pip and uv config files are ignored (the aqora index that
#             `aqora-helper setup pip` configures need not mirror PyPI)
# --uninstall first undoes every `aqora-helper setup` (setup all --remove) and logs out of every
#             session (--keep-sessions: not), then removes the venvs and the links
#
# Links: aqora-helper, git-credential-aqora, docker-credential-aqora, aqora-keyring, and
# `keyring` (our light keyring program) only when no other `keyring` program is on PATH
# (pip's and uv's subprocess mode call `keyring` by name; an existing one is never
# shadowed: see README). The links go to launchers that start Python with -I -S (no
# site import: a third of a start), with the venv's package paths written in.
# One install.sh runs at a time per user (a second one waits for the first): the lock is
# ${XDG_RUNTIME_DIR:-${TMPDIR:-/tmp}}/aqora-helper-<uid>/install.lock, in a folder that
# must be the user's own with mode 700.
# Exit status: 0 done, 1 failed (the previous install still works), 2 bad usage.
set -eu

PY=python3
PREFIX=""
BIN_DIR="$HOME/.local/bin"
ACTION=install
INDEX_URL=""
KEEP_SESSIONS=""
usage_error() {
    echo "error: $1" >&2
    echo "hint: run './install.sh --help' for the usage." >&2
    exit 2
}
need_value() { [ $# -ge 2 ] || usage_error "$1 needs a value"; }
while [ $# -gt 0 ]; do
    case "$1" in
        --prefix) need_value "$@"; PREFIX=$2; shift 2 ;;
        --prefix=*) PREFIX=${1#*=}; shift ;;
        --bin-dir) need_value "$@"; BIN_DIR=$2; shift 2 ;;
        --bin-dir=*) BIN_DIR=${1#*=}; shift ;;
        --python) need_value "$@"; PY=$2; shift 2 ;;
        --python=*) PY=${1#*=}; shift ;;
        --index-url) need_value "$@"; INDEX_URL=$2; shift 2 ;;
        --index-url=*) INDEX_URL=${1#*=}; shift ;;
        --uninstall) ACTION=uninstall; shift ;;
        --keep-sessions) KEEP_SESSIONS=1; shift ;;
        -h|--help) sed -n '2,/^# Exit status/p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) usage_error "unknown option: $1" ;;
    esac
done

die() {  # die WHAT HINT
    echo "error: $1" >&2
    echo "hint: $2" >&2
    exit 1
}

if [ -z "$PREFIX" ]; then
    case "$(uname -s)" in
        Darwin) PREFIX="$HOME/Library/Application Support/aqora-helper/venv" ;;
        *) PREFIX="${XDG_DATA_HOME:-$HOME/.local/share}/aqora-helper/venv" ;;
    esac
fi
PREFIX=${PREFIX%/}
case "$PREFIX" in /*) ;; *) PREFIX="$(pwd)/$PREFIX" ;; esac
SRC=$(cd "$(dirname "$0")" && pwd)
COMMANDS="aqora-helper git-credential-aqora docker-credential-aqora"
MANIFEST=aqora-helper-install.manifest
CREATED=aqora-helper-created-dirs

# One install.sh at a time for this user: two would build into the same venv slot. The
# lock is in a folder of the user's own (mode 700, refused otherwise): under a shared
# /tmp, another user could create a lock of a predictable name first and stall installs.
RUN_BASE=${XDG_RUNTIME_DIR:-}
[ -n "$RUN_BASE" ] && [ -d "$RUN_BASE" ] || RUN_BASE=${TMPDIR:-/tmp}
LOCK_DIR="${RUN_BASE%/}/aqora-helper-$(id -u)"
mkdir -m 700 "$LOCK_DIR" 2>/dev/null || true
if [ -L "$LOCK_DIR" ] || [ ! -d "$LOCK_DIR" ] ||
    [ -z "$(find "$LOCK_DIR" -prune -user "$(id -u)" -perm 700 2>/dev/null)" ]; then
    die "$LOCK_DIR is not a private folder of yours (a folder you own, mode 700)" \
        "remove it (or point XDG_RUNTIME_DIR or TMPDIR at a private folder), then run this again"
fi
LOCK="$LOCK_DIR/install.lock"
wait_message() { echo "waiting for another install.sh of yours to finish ($1) ..." >&2; }
held_too_long() {  # held_too_long LOCK [WHAT ELSE TO DO]
    die "another install.sh has held $1 for 15 minutes" "let it finish (or end it${2:-}), then run this again"
}
if command -v flock >/dev/null 2>&1 && { command exec 9>>"$LOCK"; } 2>/dev/null; then
    if ! flock -n 9; then
        wait_message "$LOCK"
        flock -w 900 9 || held_too_long "$LOCK"
    fi
else
    # No flock(1) (macOS, BSD): the lock is a folder (mkdir is atomic everywhere) holding
    # the holder's pid; the holder removes it when it exits. A holder that died (kill -9,
    # a crash) leaves it: a waiter that finds that pid gone breaks it, under a second
    # folder inside it, so that two waiters never both break it (nor a new holder's).
    LOCK="$LOCK.d"
    release_lock() { [ -z "${LOCK_HELD:-}" ] || rm -rf "$LOCK"; LOCK_HELD=""; }
    trap release_lock EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    holder_gone() {  # the pid in the lock is not running (no pid yet: being written)
        pid=$(cat "$LOCK/pid" 2>/dev/null) || pid=""
        case "$pid" in
            "" | *[!0-9]*) return 1 ;;
        esac
        ! kill -0 "$pid" 2>/dev/null
    }
    break_stale_lock() {  # remove the lock of a holder that is gone, as one waiter only
        mkdir "$LOCK/breaking" 2>/dev/null || return 0
        if holder_gone; then
            rm -rf "$LOCK.stale.$$"
            mv "$LOCK" "$LOCK.stale.$$" 2>/dev/null && rm -rf "$LOCK.stale.$$" &&
                echo "removed a stale lock ($LOCK) of an install.sh that is gone" >&2
        else
            rmdir "$LOCK/breaking" 2>/dev/null || true
        fi
    }
    waited=0
    until mkdir "$LOCK" 2>/dev/null; do
        [ "$waited" -gt 0 ] || wait_message "$LOCK"
        [ "$waited" -lt 900 ] || held_too_long "$LOCK" "; if none runs, remove $LOCK"
        if holder_gone; then break_stale_lock; fi
        sleep 1
        waited=$((waited + 1))
    done
    LOCK_HELD=1
    echo $$ >"$LOCK/pid"
fi

# A directory we may delete: a venv that install.sh made (it writes $CREATED first thing).
is_venv() { [ -f "$1/pyvenv.cfg" ] && { [ -f "$1/$CREATED" ] || [ -f "$1/$MANIFEST" ]; }; }
# The venv the prefix names now: its link's target, or a real directory (older install.sh).
current() {
    if [ -L "$PREFIX" ]; then
        case "$(readlink "$PREFIX")" in
            "$(basename "$PREFIX")".a) echo "$PREFIX.a" ;;
            "$(basename "$PREFIX")".b) echo "$PREFIX.b" ;;
        esac
    elif [ -d "$PREFIX" ]; then
        echo "$PREFIX"
    fi
}
points_into_ours() {  # points_into_ours LINK: a link into the prefix or one of its venvs
    [ -L "$1" ] || return 1
    case "$(readlink "$1")" in
        "$PREFIX"/* | "$PREFIX".a/* | "$PREFIX".b/*) return 0 ;;
    esac
    return 1
}

# ------------------------------------------------------------------------- uninstall

undo_setups() {
    echo "undoing what 'aqora-helper setup' changed ..."
    rc=0
    "$HELPER" --allow-insecure-host setup all --remove || rc=$?
    case $rc in
    0) ;;
    2) undo_setups_one_by_one ;;  # an install older than 'setup all'
    *) die "undoing 'aqora-helper setup' failed (the lines above say where); nothing else was removed" \
        "fix what the lines above say, then run './install.sh --uninstall' again" ;;
    esac
    DATA_DIR=$("$HELPER_PY" -I -c 'from aqora_helper.engine.datadir import data_dir; print(data_dir())') || DATA_DIR=""
    if [ -n "$KEEP_SESSIONS" ]; then
        echo "sessions kept (--keep-sessions)"
        return
    fi
    "$HELPER" logout --all ||
        die "logging out failed; nothing else was removed" \
            "fix what the lines above say (or pass --keep-sessions), then run './install.sh --uninstall' again"
    # logout --all removed the token cache but files of yours; an older version's
    # (its host index still there) is removed here
    cache=$("$HELPER_PY" -I -c 'from aqora_helper.fast.paths import cache_root; print(cache_root())') || cache=""
    if [ -n "$cache" ] && [ -f "$cache/hosts.json" ]; then
        rm -rf "$cache" && echo "removed $cache (the token cache)"
    fi
}

undo_setups_one_by_one() {  # what 'setup all --remove' does, for installs without it
    urls=$("$HELPER" status --json --offline 2>/dev/null |
        "$HELPER_PY" -I -c 'import json, sys
try:
    print("\n".join(e["url"] for e in json.load(sys.stdin)["environments"]))
except ValueError:
    pass') || true
    failed=""
    command -v git >/dev/null 2>&1 || urls=""  # no git: no git config to undo
    for url in $urls; do
        "$HELPER" --allow-insecure-host setup git --remove --url "$url" || failed="$failed git($url)"
    done
    for tool in docker pip uv; do
        "$HELPER" setup "$tool" --remove || failed="$failed $tool"
    done
    if [ -n "$failed" ]; then
        die "undoing 'aqora-helper setup' failed for:$failed; nothing else was removed" \
            "fix what the lines above say, then run './install.sh --uninstall' again"
    fi
}

report_leftovers() {  # what still points at aqora-helper, with the command to clear it
    "$LEFT_PY" -I - "$KEEP_SESSIONS" "$DATA_DIR" "$CLIENT_FILES" <<'PY' || true
import json, os, shlex, shutil, stat, subprocess, sys, tempfile
home = os.path.expanduser("~")
left = []
git = shutil.which("git")
if git:
    # The user's own git config, as aqora-helper reads it: no repository around the run,
    # no GIT_DIR/GIT_CONFIG_* of a project or of `git -c` (fast/clientprocess.py).
    keep = ("GIT_CONFIG_GLOBAL", "GIT_CONFIG_SYSTEM", "GIT_CONFIG_NOSYSTEM", "GIT_EXEC_PATH")
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_") or k in keep}
    with tempfile.TemporaryDirectory() as nowhere:
        nowhere = os.path.realpath(nowhere)
        env.update(GIT_CEILING_DIRECTORIES=os.path.dirname(nowhere), GIT_TERMINAL_PROMPT="0")
        out = subprocess.run([git, "config", "--global", "--get-regexp", r"^credential\..*\.helper$"],
                             capture_output=True, text=True, cwd=nowhere, env=env).stdout
    for line in out.splitlines():
        key, _, value = line.partition(" ")
        if value.strip() == "aqora":
            left.append((f"git config: {key} = aqora",
                         f"git config --global --unset-all {key} aqora"))
def holds(path, text):
    """True when the file at `path` can be read and contains `text`."""
    try:
        with open(path, encoding="utf-8") as f:
            return text in f.read()
    except OSError:
        return False
docker = os.path.join(os.environ.get("DOCKER_CONFIG") or os.path.join(home, ".docker"), "config.json")
if holds(docker, '"aqora"'):
    left.append((f"{docker} names the 'aqora' helper",
                 f"edit {docker}: remove the \"aqora\" entries of credHelpers/credsStore"))
client_files = [line.split("\t", 1) for line in sys.argv[3].splitlines() if "\t" in line]
for tool, path in client_files:
    if holds(path, "# >>> aqora-helper setup"):
        left.append((f"{path} has aqora-helper's {tool} block",
                     f"edit {path}: delete the lines between the aqora-helper markers"))
if not client_files:
    left.append(("maybe aqora-helper's blocks in pip's and uv's config (the install could not "
                 "say where those files are)",
                 "in pip.conf ('pip config debug' lists them) and uv.toml, delete the lines "
                 "between the '# >>> aqora-helper setup' markers"))
config = os.environ.get("XDG_CONFIG_HOME") or os.path.join(home, ".config")
if sys.argv[1]:
    by_hand = ("delete the 'aqora-helper<TAB>session' items in Keychain Access"
               if sys.platform == "darwin" else
               "secret-tool clear service \"$(printf 'aqora-helper\\tsession')\"")
    left.append(("your sessions (kept)",
                 f"reinstall, then 'aqora-helper logout --all'; or: {by_hand}"))
if sys.platform == "darwin":  # the config shares its folder with the data (platformdirs)
    ours = os.path.join(home, "Library", "Application Support", "aqora-helper", "config.toml")
    if os.path.isfile(ours):
        left.append((f"your configuration {ours}", f"rm {shlex.quote(ours)}"))
else:
    ours = os.path.join(config, "aqora-helper")
    if os.path.isdir(ours):
        left.append((f"your configuration {ours}", f"rm -r {shlex.quote(ours)}"))
data = sys.argv[2]
OURS = ("sessions.json", "insecure", "recovery", "docker-store.json", "docker-setup.json")
RECORD = "created-folders"  # engine/datadir.py: the folders aqora-helper created, a line each
def created_folders(path):
    """The folders the record at `path` lists (oldest first); [] when it is unusable."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | os.O_NONBLOCK)
    except OSError:
        return []
    with open(fd, "rb") as f:
        st = os.fstat(f.fileno())
        if not stat.S_ISREG(st.st_mode) or st.st_uid != os.getuid():
            return []
        lines = f.read(1 << 20).decode("utf-8", "surrogateescape").splitlines()
    folders = []
    for line in lines:
        try:
            folder = json.loads(line)
        except ValueError:
            continue
        if isinstance(folder, str) and os.path.isabs(folder) and folder not in folders:
            folders.append(folder)
    return folders
if data and not sys.argv[1] and os.path.isdir(data) and not os.path.islink(data):
    # Logged out of everything: an empty session list and the folders aqora-helper
    # recorded creating are all that is left of ours; only those folders are deleted
    # (when empty), never another one of the data directory (it may be a shared one).
    listing = os.path.join(data, "sessions.json")
    try:
        with open(listing, encoding="utf-8") as f:
            if f.read().strip() in ("", "[]"):
                os.remove(listing)
    except OSError:
        pass
    record = os.path.join(data, RECORD)
    folders = created_folders(record)
    if folders:
        try:
            os.remove(record)
        except OSError:
            folders = []
    kept = []
    for folder in reversed(folders):  # deepest first
        try:
            os.rmdir(folder)
            print(f"removed {folder}")
        except FileNotFoundError:
            pass
        except OSError:
            kept.insert(0, folder)
    if kept and os.path.isdir(data):  # still ours: a later uninstall may delete them
        with open(record, "a", encoding="utf-8", errors="surrogateescape") as f:
            f.write("".join(json.dumps(folder) + "\n" for folder in kept))
if data and os.path.isdir(data):
    ours = [os.path.join(data, name) for name in (*OURS, RECORD)
            if os.path.lexists(os.path.join(data, name))]
    if ours:
        names = ", ".join(os.path.basename(path) for path in ours)
        left.append((f"aqora-helper's data in {data} ({names})",
                     "rm -r " + " ".join(shlex.quote(path) for path in ours)))
for what, fix in left:
    print(f"left: {what}\n      clear with: {fix}")
PY
}

if [ "$ACTION" = uninstall ]; then
    CUR=$(current)
    HELPER="" HELPER_PY="" DATA_DIR="" CLIENT_FILES=""
    if [ -n "$CUR" ] && is_venv "$CUR" && "$CUR/bin/aqora-helper" --version >/dev/null 2>&1; then
        HELPER="$CUR/bin/aqora-helper" HELPER_PY="$CUR/bin/python"
    fi
    # Where `setup pip|uv` write, asked of the package before its venv goes (for the
    # leftover report); a venv that cannot answer (half-built) leaves them unknown.
    if [ -n "$CUR" ] && is_venv "$CUR"; then
        CLIENT_FILES=$("$CUR/bin/python" -I -c 'from aqora_helper.setup.pipfiles import pip_config_file
from aqora_helper.setup.uv import uv_config_file
print(f"pip\t{pip_config_file()}\nuv\t{uv_config_file()}")' 2>/dev/null) || CLIENT_FILES=""
    fi
    if [ -z "$CUR" ] && [ ! -e "$PREFIX.a" ] && [ ! -e "$PREFIX.b" ]; then
        echo "aqora-helper is not installed in $PREFIX; nothing removed."
        exit 0
    fi
    if [ -n "$HELPER" ]; then
        undo_setups
    else
        echo "warning: the install in $PREFIX does not run (half-built?): setups cannot be undone, sessions stay"
        KEEP_SESSIONS=1
    fi
    LEFT_PY=$(command -v "$PY" || command -v python3 || echo "${HELPER_PY:-python3}")
    created=""
    [ -n "$CUR" ] && [ -f "$CUR/$CREATED" ] && created=$(sed -n 's/^dir://p' "$CUR/$CREATED")
    # Links: those recorded, and any other link of the bin dir into our venvs.
    { cat "$CUR/$MANIFEST" 2>/dev/null || true; ls -d "$BIN_DIR"/* 2>/dev/null || true; } |
        sort -u | while IFS= read -r link; do
            if points_into_ours "$link"; then rm -f "$link" && echo "removed $link"; fi
        done
    if [ -L "$PREFIX" ]; then rm -f "$PREFIX" && echo "removed $PREFIX (link)"; fi
    for dir in "$PREFIX" "$PREFIX.a" "$PREFIX.b" "$PREFIX.old"; do
        if [ -d "$dir" ] && [ ! -L "$dir" ]; then
            if is_venv "$dir"; then
                rm -rf "$dir" && echo "removed $dir"
            else
                echo "left: $dir (not a venv install.sh made: not ours to delete)"
                echo "      clear with: rm -r '$dir'"
            fi
        fi
    done
    report_leftovers  # (first: it removes the empty session list from the data folder)
    # The folders install.sh created: one a line (a path may hold spaces or glob
    # characters), deepest first, each only when empty.
    printf '%s\n' "$created" | while IFS= read -r dir; do
        if [ -n "$dir" ] && rmdir "$dir" 2>/dev/null; then echo "removed $dir"; fi
    done
    echo "aqora-helper is uninstalled."
    exit 0
fi

# --------------------------------------------------------------------------- install

if ! "$PY" -c 'import sys; sys.exit(sys.version_info < (3, 10))' 2>/dev/null; then
    die "$PY is missing or older than 3.10" "install Python >= 3.10, or pass --python /path/to/python3"
fi
missing_dirs() {  # the directories `mkdir -p $1` would create, deepest first
    d=$1
    while [ ! -e "$d" ]; do echo "dir:$d"; d=$(dirname "$d"); done
}
if [ -e "$PREFIX" ] && [ ! -L "$PREFIX" ] && ! is_venv "$PREFIX"; then
    die "$PREFIX exists and is not an aqora-helper venv" "pass another --prefix, or move $PREFIX away"
fi
CUR=$(current)
if [ -n "$CUR" ] && ! is_venv "$CUR"; then CUR=""; fi
case "$CUR" in "$PREFIX.a") NEW="$PREFIX.b" ;; *) NEW="$PREFIX.a" ;; esac
old_version=""
if [ -n "$CUR" ]; then
    old_version=$("$CUR/bin/aqora-helper" --version 2>/dev/null || true)
fi

if [ -e "$NEW" ] || [ -L "$NEW" ]; then  # a previous venv or a half-built one: scratch
    is_venv "$NEW" || die "$NEW exists and is not an aqora-helper venv" "move $NEW away, then retry"
    rm -rf "$NEW" && echo "removed the unused venv $NEW"
fi
created=""
if [ -n "$CUR" ] && [ -f "$CUR/$CREATED" ]; then
    created=$(cat "$CUR/$CREATED")
elif [ -z "$CUR" ]; then
    created=$(missing_dirs "$(dirname "$PREFIX")"; missing_dirs "$BIN_DIR")
fi
WORK=$(mktemp -d "${TMPDIR:-/tmp}/aqora-helper-install.XXXXXX")
DONE=""
cleanup() {
    rm -rf "$WORK"
    command -v release_lock >/dev/null 2>&1 && release_lock
    if [ -z "$DONE" ] && [ -d "$NEW" ]; then rm -rf "$NEW"; fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

mkdir -p "$(dirname "$PREFIX")"
# With pip >= 22.3 beside $PY, that pip installs into the new venv (--python), which then
# needs no pip of its own: no ensurepip run, a fifth of an install's CPU time. Else the
# venv gets its own pip, as before.
OUTER_PIP=""
if "$PY" -I -m pip --version 2>/dev/null | "$PY" -I -c 'import re, sys
m = re.match(r"pip (\d+)\.(\d+)", sys.stdin.read())
sys.exit(0 if m and (int(m[1]), int(m[2])) >= (22, 3) else 1)' 2>/dev/null; then
    OUTER_PIP=1
fi
if ! "$PY" -m venv ${OUTER_PIP:+--without-pip} "$NEW" >"$WORK/venv.log" 2>&1; then
    die "$PY cannot create a virtual environment" \
        "on Debian/Ubuntu install python3-venv (sudo apt install python3-venv)"
fi
printf '%s\n' "$created" >"$NEW/$CREATED"

# A clean copy of the source: no stale build/ or *.egg-info reused, nothing written here.
"$PY" -I - "$SRC" "$WORK/src" <<'PY' || die "cannot copy $SRC" "check that the clone is readable"
import shutil, sys
shutil.copytree(sys.argv[1], sys.argv[2], symlinks=True, ignore=shutil.ignore_patterns(
    ".git", ".venv*", "build", "dist", "*.egg-info", "__pycache__", "tests", ".ci"))
PY

echo "installing aqora-helper into $NEW ..."
# Your pip config is ignored (PIP_CONFIG_FILE=/dev/null): `setup pip` may have pointed it at
# an index that does not mirror PyPI. An explicit --index-url or PIP_INDEX_URL is used.
set -- install --disable-pip-version-check --no-input --quiet
[ -n "$INDEX_URL" ] && set -- "$@" --index-url "$INDEX_URL"
if [ -n "$OUTER_PIP" ]; then
    set -- "$PY" -I -m pip --python "$NEW/bin/python" "$@"
else
    set -- "$NEW/bin/python" -m pip "$@"
fi
if ! PIP_CONFIG_FILE=/dev/null "$@" "$WORK/src" >"$WORK/pip.log" 2>&1; then
    grep -v 'is ignored: it is neither a file nor a directory' "$WORK/pip.log" | tail -n 15 >&2
    if [ -n "$CUR" ]; then kept="the previous install ($CUR) is unchanged"; else kept="nothing was installed"; fi
    die "pip could not install aqora-helper (output above); $kept" \
        "check the network or the index (--index-url URL, PIP_INDEX_URL), then run ./install.sh again"
fi
version=$("$NEW/bin/aqora-helper" --version 2>&1) && "$NEW/bin/git-credential-aqora" --version >/dev/null 2>&1 ||
    die "the new install does not run: ${version:-no output}; the previous install is unchanged" \
        "run ./install.sh again; if it fails again, report the line above"

# The launchers: the venv's python with -I -S, the venv's package paths, the entry point
# (setup/launchers.py; a `#!/bin/sh` wrapper when the venv's path has a space, as in
# macOS's ~/Library/Application Support).
LAUNCH="launchers"
"$NEW/bin/python" -I -m aqora_helper.setup.launchers "$NEW/launchers" ||
    die "writing the launchers failed" "run ./install.sh again"
"$NEW/launchers/git-credential-aqora" --version >/dev/null 2>&1 ||
    die "the new launchers do not run; the previous install is unchanged" "run ./install.sh again"

# Switch: the prefix becomes a link to the new venv in one rename.
if [ -d "$PREFIX" ] && [ ! -L "$PREFIX" ]; then  # an older install.sh's venv: moved aside
    rm -rf "$PREFIX.old"
    mv "$PREFIX" "$PREFIX.old"
    OLD_DIR="$PREFIX.old"
else
    OLD_DIR="$CUR"
fi
ln -sfn "$(basename "$NEW")" "$WORK/link"
"$PY" -I -c 'import os, sys; os.replace(sys.argv[1], sys.argv[2])' "$WORK/link" "$PREFIX" ||
    die "cannot switch $PREFIX to the new venv" "check the permissions of $(dirname "$PREFIX")"
DONE=1

mkdir -p "$BIN_DIR"
: >"$NEW/$MANIFEST.new"
link() {  # link NAME [TARGET-NAME]
    target="$PREFIX/$LAUNCH/${2:-$1}"
    dest="$BIN_DIR/$1"
    if [ -e "$dest" ] && [ ! -L "$dest" ]; then
        echo "warning: $dest exists and is not a link; left alone"
        return
    fi
    echo "$dest" >>"$NEW/$MANIFEST.new"
    if [ -L "$dest" ] && [ "$(readlink "$dest")" = "$target" ]; then return; fi
    ln -sfn "$target" "$dest"
    echo "linked $dest"
}
for cmd in $COMMANDS; do link "$cmd"; done
link aqora-keyring
existing=$(PATH=$(echo ":$PATH:" | sed "s#:$BIN_DIR:#:#g; s/^://; s/:$//") command -v keyring 2>/dev/null || true)
if [ -e "$BIN_DIR/keyring" ] || [ -L "$BIN_DIR/keyring" ]; then
    if points_into_ours "$BIN_DIR/keyring"; then existing=""; else existing="$BIN_DIR/keyring"; fi
fi
if [ -n "$existing" ]; then
    echo "note: another 'keyring' program is on PATH ($existing); not linking ours over it."
    echo "      pip/uv subprocess mode will use that one: see README (Python package indexes)."
else
    link keyring aqora-keyring
fi
mv "$NEW/$MANIFEST.new" "$NEW/$MANIFEST"
if [ -n "$OLD_DIR" ] && [ "$OLD_DIR" != "$NEW" ] && [ -d "$OLD_DIR" ]; then
    rm -rf "$OLD_DIR" && echo "removed the previous venv $OLD_DIR"
fi

case ":$PATH:" in
    *":$BIN_DIR:"*) ;;
    *) echo "warning: $BIN_DIR is not on your PATH; add it, e.g.: export PATH=\"$BIN_DIR:\$PATH\"" ;;
esac
if [ -z "$old_version" ]; then
    echo "installed $version"
    echo "Done. Next: aqora-helper login, then aqora-helper setup all (or setup git|docker|pip|uv)"
elif [ "$old_version" = "$version" ]; then
    echo "reinstalled $version"
    echo "Done."
else
    echo "upgraded $old_version -> $version"
    echo "Done."
fi
