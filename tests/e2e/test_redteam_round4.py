"""Red team, session 4: variants of the earlier findings, played with the real clients.

1. registries.conf sends a client to a served registry without TLS verification through
   a `[[registry]]` whose `location` (not its `prefix`) is that registry, or through an
   insecure `[[registry.mirror]]`: skopeo then asks us for the mirror's (the location's)
   credentials and sends them over plain http. No token for either.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from support import describe, run_cmd
from test_sec_followups import (  # noqa: F401 - fixtures
    needs_outside,
    plain_registry,
    served_outside,
    tokens_sent,
)

REDIRECTED = {
    "insecure mirror": (
        '[[registry]]\nlocation = "example.invalid"\n'
        '[[registry.mirror]]\nlocation = "{hostport}"\ninsecure = true\n'
    ),
    "insecure location behind a prefix": (
        '[[registry]]\nprefix = "example.invalid"\nlocation = "{hostport}"\ninsecure = true\n'
    ),
}


@needs_outside
@pytest.mark.parametrize("conf", REDIRECTED.values(), ids=list(REDIRECTED))
def test_skopeo_sent_to_an_insecure_mirror_or_location_gets_no_token(
    aqora,
    served_outside,  # noqa: F811 - fixture
    plain_registry,  # noqa: F811 - fixture
    conf,
):
    env, hostport = served_outside
    _, seen = plain_registry
    user_conf = Path(env["XDG_CONFIG_HOME"]) / "containers" / "registries.conf"
    user_conf.parent.mkdir(parents=True, exist_ok=True)  # setup wrote a drop-in there
    user_conf.write_text(conf.format(hostport=hostport))
    argv = ["skopeo", "inspect", "--raw", "docker://example.invalid/demo/app:1"]
    proc = run_cmd(argv, env, timeout=120)
    assert proc.returncode != 0, describe(proc)
    assert tokens_sent(seen, aqora) == [], describe(proc)
    assert "without TLS verification" in proc.stderr, describe(proc)
    user_conf.write_text(conf.format(hostport=hostport).replace("insecure = true", ""))
    get = run_cmd(["docker-credential-aqora", "get"], env, input=hostport)
    assert get.returncode == 0, describe(get)  # a verified mirror still gets the token
