#!/bin/sh
# Install aqora-helper from this clone into an isolated venv and link its commands.
#
#   ./install.sh [--prefix DIR] [--bin-dir DIR] [--python PY] [--uninstall]
#
# --prefix   where the venv goes (default: <user data dir>/aqora-helper/venv,
#            i.e. ${XDG_DATA_HOME:-~/.local/share}/aqora-helper/venv on Linux)
# --bin-dir  where the commands are linked (default: ~/.local/bin)
# --python   the interpreter to build the venv with (default: python3; needs >= 3.10)
# --uninstall removes exactly what an install added (the links it recorded and the venv).
#
# Links: aqora-helper, git-credential-aqora, docker-credential-aqora, aqora-keyring, and
# `keyring` (our light keyring program) only when no other `keyring` program is on PATH
# (pip's and uv's subprocess mode call `keyring` by name; an existing one is never
# shadowed: see README). The links go to launchers that start Python with -I -S (no
# site import: a third of a start), with the venv's package paths written in.
set -eu

PY=python3
PREFIX=""
BIN_DIR="$HOME/.local/bin"
ACTION=install
while [ $# -gt 0 ]; do
    case "$1" in
        --prefix) PREFIX=$2; shift 2 ;;
        --prefix=*) PREFIX=${1#*=}; shift ;;
        --bin-dir) BIN_DIR=$2; shift 2 ;;
        --bin-dir=*) BIN_DIR=${1#*=}; shift ;;
        --python) PY=$2; shift 2 ;;
        --python=*) PY=${1#*=}; shift ;;
        --uninstall) ACTION=uninstall; shift ;;
        -h|--help) sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "install.sh: unknown option: $1" >&2; echo "Run './install.sh --help'." >&2; exit 2 ;;
    esac
done

if [ -z "$PREFIX" ]; then
    case "$(uname -s)" in
        Darwin) PREFIX="$HOME/Library/Application Support/aqora-helper/venv" ;;
        *) PREFIX="${XDG_DATA_HOME:-$HOME/.local/share}/aqora-helper/venv" ;;
    esac
fi
MANIFEST="$PREFIX/aqora-helper-install.manifest"
SRC=$(cd "$(dirname "$0")" && pwd)
COMMANDS="aqora-helper git-credential-aqora docker-credential-aqora"

if [ "$ACTION" = uninstall ]; then
    if [ ! -f "$MANIFEST" ]; then
        echo "aqora-helper is not installed in $PREFIX (no manifest); nothing removed."
        exit 0
    fi
    while IFS= read -r link; do
        # Remove a link only while it still points into our venv.
        if [ -L "$link" ] && case "$(readlink "$link")" in "$PREFIX"/*) true ;; *) false ;; esac; then
            rm -f "$link" && echo "removed $link"
        fi
    done <"$MANIFEST"
    dirs=$(sed -n 's/^dir://p' "$PREFIX/aqora-helper-created-dirs" 2>/dev/null || true)
    rm -rf "$PREFIX" && echo "removed $PREFIX"
    for dir in $dirs; do rmdir "$dir" 2>/dev/null && echo "removed $dir"; done
    echo "Your sessions are untouched; run 'aqora-helper logout --all' before uninstalling to remove them."
    exit 0
fi

if ! "$PY" -c 'import sys; sys.exit(sys.version_info < (3, 10))' 2>/dev/null; then
    echo "error: $PY is missing or older than 3.10" >&2
    echo "hint: install Python >= 3.10, or pass --python /path/to/python3" >&2
    exit 1
fi
missing_dirs() {  # the directories `mkdir -p $1` would create, deepest first
    d=$1
    while [ ! -e "$d" ]; do echo "dir:$d"; d=$(dirname "$d"); done
}
if [ ! -x "$PREFIX/bin/python" ]; then
    created=$(missing_dirs "$(dirname "$PREFIX")"; missing_dirs "$BIN_DIR")
    if ! "$PY" -m venv "$PREFIX" 2>/dev/null; then
        rm -rf "$PREFIX"
        echo "error: $PY cannot create a virtual environment" >&2
        echo "hint: on Debian/Ubuntu install python3-venv (sudo apt install python3-venv)" >&2
        exit 1
    fi
    printf '%s\n' "$created" >"$PREFIX/aqora-helper-created-dirs"
fi
echo "installing aqora-helper into $PREFIX ..."
"$PREFIX/bin/python" -m pip install -q --disable-pip-version-check --upgrade "$SRC" 2>&1 |
    grep -v 'is ignored: it is neither a file nor a directory' || true
"$PREFIX/bin/python" -c 'import aqora_helper' || { echo "error: the install failed" >&2; exit 1; }

# The launchers: `#!<venv python> -IS`, the venv's package paths, the entry point. A venv
# path with a space cannot be a shebang: pip's own scripts are linked then.
LAUNCH_DIR="$PREFIX/bin"
case "$PREFIX" in
    *" "*) ;;
    *)
        LAUNCH_DIR="$PREFIX/launchers"
        "$PREFIX/bin/python" -I - "$LAUNCH_DIR" <<'PY' || { echo "error: writing the launchers failed" >&2; exit 1; }
import ast, os, subprocess, sys
dest = sys.argv[1]
bare = subprocess.run([sys.executable, "-I", "-S", "-c", "import sys; print(sys.path)"],
                      capture_output=True, text=True, check=True).stdout
extra = [p for p in sys.path if p and p not in ast.literal_eval(bare)]
entry = {
    "aqora-helper": "aqora_helper.__main__",
    "git-credential-aqora": "aqora_helper.doors.git",
    "docker-credential-aqora": "aqora_helper.doors.docker",
    "aqora-keyring": "aqora_helper.doors.keyring_program",
}
os.makedirs(dest, exist_ok=True)
for name, module in entry.items():
    path = os.path.join(dest, name)
    with open(path + ".new", "w") as out:
        out.write(f"#!{sys.executable} -IS\nimport sys\nsys.path += {extra!r}\n"
                  f"from {module} import main\nsys.exit(main())\n")
    os.chmod(path + ".new", 0o755)
    os.replace(path + ".new", path)
PY
        ;;
esac

mkdir -p "$BIN_DIR"
: >"$MANIFEST.new"
link() {  # link NAME [TARGET-NAME]
    target="$LAUNCH_DIR/${2:-$1}"
    dest="$BIN_DIR/$1"
    if [ -e "$dest" ] && [ ! -L "$dest" ]; then
        echo "warning: $dest exists and is not a link; left alone"
        return
    fi
    ln -sfn "$target" "$dest"
    echo "$dest" >>"$MANIFEST.new"
    echo "linked $dest"
}
for cmd in $COMMANDS; do link "$cmd"; done
link aqora-keyring
existing=$(PATH=$(echo ":$PATH:" | sed "s#:$BIN_DIR:#:#g; s/^://; s/:$//") command -v keyring 2>/dev/null || true)
if [ -e "$BIN_DIR/keyring" ] || [ -L "$BIN_DIR/keyring" ]; then
    case "$(readlink "$BIN_DIR/keyring" 2>/dev/null)" in
        "$PREFIX"/*) existing="" ;;
        *) existing="$BIN_DIR/keyring" ;;
    esac
fi
if [ -n "$existing" ]; then
    echo "note: another 'keyring' program is on PATH ($existing); not linking ours over it."
    echo "      pip/uv subprocess mode will use that one: see README (Python package indexes)."
else
    link keyring aqora-keyring
fi
mv "$MANIFEST.new" "$MANIFEST"

case ":$PATH:" in
    *":$BIN_DIR:"*) ;;
    *) echo "warning: $BIN_DIR is not on your PATH; add it, e.g.: export PATH=\"$BIN_DIR:\$PATH\"" ;;
esac
echo "Done. Next: aqora-helper login, then aqora-helper setup git|docker|pip|uv"
