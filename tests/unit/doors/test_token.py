"""The `token` fast path's command-line parser accepts exactly the token command lines.

The fast path run for real (nothing heavy imported, misses, stale tokens):
tests/e2e/perf/test_fast_path.py.
"""

from __future__ import annotations


def test_fuzz_token_command_line_parsing():
    """The fast path's argv parser accepts exactly the token command lines and never
    raises (anything else goes to the full CLI)."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from aqora_helper.doors.token import parse_token_args

    words = st.sampled_from(["token", "--url", "--format", "json", "plain", "env", "x", "--"])
    argv = st.lists(st.one_of(words, st.text(max_size=30)), max_size=8)

    @settings(max_examples=500, deadline=None)
    @given(args=argv)
    def check(args):
        parsed = parse_token_args(args)
        if parsed is not None:
            assert "token" in args
            url, fmt, _ = parsed
            assert fmt in ("plain", "json", "env", "header")
            assert url is None or url in args or any(a.endswith("=" + url) for a in args)

    check()
    assert parse_token_args(["token", "--format", "json"]) == (None, "json", 0)
    assert parse_token_args(["--url", "A", "token", "--url", "B"]) == ("B", "plain", 0)
    assert parse_token_args(["token", "--format=yaml"]) is None
    assert parse_token_args(["login"]) is None
