"""The environment of a client program run on the user's behalf (fast/clientprocess says
why): the user's, minus the `GIT_*` variables a project or `git -c` could set. Stdlib
only: the fast path's credsStore delegation (fast/dockerdelegate) uses it too.
"""

from . import lightos

TYPE_CHECKING = False  # typing/collections.abc are not imported at run time (fast path)
if TYPE_CHECKING:
    from collections.abc import Mapping

# The user's own git and git config files (not a repository's): kept, so `setup git`
# writes the file it reports and `logout` reaches the user's credential helpers.
KEPT_GIT = frozenset(
    {"GIT_CONFIG_GLOBAL", "GIT_CONFIG_SYSTEM", "GIT_CONFIG_NOSYSTEM", "GIT_EXEC_PATH"}
)
# What decides which repository `git config --local` edits (`setup git --local`).
REPOSITORY_GIT = frozenset(
    {"GIT_DIR", "GIT_WORK_TREE", "GIT_COMMON_DIR", "GIT_CEILING_DIRECTORIES",
     "GIT_DISCOVERY_ACROSS_FILESYSTEM"}
)  # fmt: skip


def client_env(
    cwd: str | None, extra: "Mapping[str, str] | None" = None, keep_repository: bool = False
) -> dict[str, str]:
    """The environment of a client run from `cwd` (a folder of `outside_any_repository`;
    None: the caller's own working directory, for `keep_repository`): the user's, without
    the `GIT_*` variables a project or `git -c` could set. `keep_repository` keeps those
    that say which repository is the current one (`setup git --local` edits it)."""
    kept = KEPT_GIT | REPOSITORY_GIT if keep_repository else KEPT_GIT
    env = {k: v for k, v in lightos.environ().items() if not k.startswith("GIT_") or k in kept}
    env["GIT_TERMINAL_PROMPT"] = "0"
    if cwd is not None:
        env["GIT_CEILING_DIRECTORIES"] = lightos.dirname(cwd)
    env.update(extra or {})
    return env
