"""fast/jsonlite: the re-free JSON of the fast path reads and writes what `json` does."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aqora_helper.fast.jsonlite import dumps, loads

_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(_VALUES)
def test_dumps_is_json_dumps_and_loads_reads_it_back(value):
    text = dumps(value)
    assert text == json.dumps(value)
    assert loads(text) == value
    assert loads(text.encode()) == value


@pytest.mark.parametrize(
    "bad",
    [b"", b"   ", b'{"url": "http://', b"\x00\xff garbage", b'{"a": 1} x', b'{"a": NaN}',
     b'{"a": "\\q"}', b"[1,]", b"{'a': 1}"],
)  # fmt: skip
def test_anything_json_refuses_is_a_value_error(bad):
    with pytest.raises(ValueError):
        loads(bad)


def test_a_float_or_an_object_key_that_is_not_text_is_refused_on_write():
    assert loads(b' {"x": [1.5, -2, true, null]} \n') == {"x": [1.5, -2, True, None]}
    with pytest.raises(TypeError):
        dumps({1: "a"})
    with pytest.raises(TypeError):
        dumps(1.5)
