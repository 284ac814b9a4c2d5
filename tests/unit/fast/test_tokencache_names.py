"""Issue #11, class 10 in-process: cache and storage file names are injective and never
leave their folder.

The rest, played as an attacker with the real clients: tests/e2e/security/test_planted_files.py.
"""

from __future__ import annotations


def test_file_names_are_injective_and_never_leave_their_folder():
    """Origin: issue #11, class 10 (was tests/unit/test_sec_inputs_unit.py)."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from aqora_helper.fast.tokencache import env_file_stem

    assert env_file_stem("http://127.0.0.1:41191/") != env_file_stem("http://127.0.0.1_41191/")
    assert env_file_stem("https://aqora.io/") == "https_aqora.io"  # existing names kept
    assert env_file_stem("http://localhost:8080/") == "http_localhost_8080"
    hosts = st.text(alphabet="abz09._-:[]", min_size=1, max_size=12)
    urls = st.builds(
        lambda s, h, p: f"{s}://{h}{p}/",
        st.sampled_from(["http", "https"]),
        hosts,
        st.sampled_from(["", ":1", ":41191", "_41191"]),
    )

    @settings(max_examples=400, deadline=None)
    @given(a=st.one_of(urls, st.text(max_size=40)), b=st.one_of(urls, st.text(max_size=40)))
    def check(a, b):
        stem_a, stem_b = env_file_stem(a), env_file_stem(b)
        assert (stem_a == stem_b) == (a == b)
        assert "/" not in stem_a and "\\" not in stem_a and stem_a not in (".", "..")

    check()
