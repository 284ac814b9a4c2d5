"""`aqora_helper.setup.jsontext`: the pure JSON-text editor behind `setup docker`.

Unit tier: no D-Bus, git, network or files. The core property: appending members and
then removing them gives back the original bytes, and an edit changes only bytes inside
the edited object.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aqora_helper.setup.jsontext import (
    JsonObject,
    JsonTextError,
    Style,
    append_members,
    is_whitespace,
    member_object,
    remove_member,
    render_member,
    replace_value,
    scan_top,
)

# --- scanning -----------------------------------------------------------------------------


def test_scan_top_gives_members_with_offsets() -> None:
    text = ' {"a" : 1,\n "b\\u00e9": {"c": [1, {"d": "}"}]}, "a": "x"}\n'
    top = scan_top(text)
    assert [m.key for m in top.members] == ["a", "bé", "a"]
    assert text[top.open] == "{" and text[top.close] == "}"
    first = top.members[0]
    assert text[first.key_start : first.key_end] == '"a"'
    assert text[first.value_start : first.value_end] == "1"
    assert top.find("a") == [0, 2]
    assert top.colon(text, "?") == " : "
    nested = member_object(text, top, 1)
    assert [m.key for m in nested.members] == ["c"]
    assert text[nested.members[0].value_start : nested.members[0].value_end] == '[1, {"d": "}"}]'


def test_an_empty_object_has_no_members_and_keeps_its_inside() -> None:
    text = "{ \r\n\t}"
    top = scan_top(text)
    assert top.members == () and top.inner(text) == " \r\n\t"
    assert top.colon(text, ": ") == ": "


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "[]",
        '"x"',
        "{",
        '{"a"',
        '{"a" 1}',
        '{"a": }',
        '{"a": 1,}',
        '{"a": 1 "b": 2}',
        "{'a': 1}",
        '{"a": 1} x',
        '{"a": 1}{}',
        '{"a\\x": 1}',
        '{"a": tru}',
        "\ufeff{}",
    ],
)
def test_text_that_is_not_one_object_is_refused(text: str) -> None:
    with pytest.raises(JsonTextError):
        scan_top(text)


def test_member_object_refuses_a_value_that_is_not_an_object() -> None:
    text = '{"a": [1]}'
    with pytest.raises(JsonTextError):
        member_object(text, scan_top(text), 0)


# --- style --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "added"),
    [
        ('{\n\t"a": 1\n}', '{\n\t"a": 1,\n\t"k": "v"\n}'),
        (
            '{\r\n    "a": 1,\r\n    "b": 2\r\n}\r\n',
            '{\r\n    "a": 1,\r\n    "b": 2,\r\n    "k": "v"\r\n}\r\n',
        ),
        ('{"a":1}', '{"a":1,"k":"v"}'),
        ('{ "a": 1 }', '{ "a": 1, "k": "v" }'),
        ('{"a": 1,  "b": 2}', '{"a": 1,  "b": 2,  "k": "v"}'),
        ("{}", '{\n\t"k": "v"\n}'),
        ("{ }\n", '{\n\t"k": "v"\n}\n'),
    ],
)
def test_appended_members_follow_the_file_style(text: str, added: str) -> None:
    top = scan_top(text)
    style = Style.of(text, top)
    member = render_member("k", '"v"', top.colon(text, style.colon))
    assert append_members(text, top, [member], style, 0) == added


def test_a_new_nested_object_is_indented_one_level_deeper() -> None:
    text = '{\n  "a": 1\n}\n'
    top = scan_top(text)
    style = Style.of(text, top)
    nested = style.render_object([render_member("x", "1", style.colon)], 1)
    new = append_members(text, top, [render_member("o", nested, style.colon)], style, 0)
    assert new == '{\n  "a": 1,\n  "o": {\n    "x": 1\n  }\n}\n'


def test_a_one_line_file_gets_one_line_objects() -> None:
    text = '{"a":1}'
    top = scan_top(text)
    style = Style.of(text, top)
    nested = style.render_object([render_member("x", "1", style.colon), '"y":2'], 1)
    assert nested == '{"x":1,"y":2}'


def test_remove_member_takes_its_separator_along() -> None:
    text = '{"a": 1, "b": 2, "c": 3}'
    top = scan_top(text)
    assert remove_member(text, top, 0) == '{"b": 2, "c": 3}'
    assert remove_member(text, top, 1) == '{"a": 1, "c": 3}'
    assert remove_member(text, top, 2) == '{"a": 1, "b": 2}'
    single = '{\n  "a": 1\n}'
    assert remove_member(single, scan_top(single), 0, " ") == "{ }"
    with pytest.raises(IndexError):
        remove_member(single, scan_top(single), 1)


def test_replace_value_changes_only_the_value() -> None:
    text = '{"a" :  "old" , "b": 2}'
    member = scan_top(text).members[0]
    assert replace_value(text, member, '"new"') == '{"a" :  "new" , "b": 2}'


def test_is_whitespace() -> None:
    assert is_whitespace("") and is_whitespace(" \t\r\n")
    assert not is_whitespace(" x") and not is_whitespace("\u00a0")


# --- any layout: edits are exact and reversible -------------------------------------------

KEYS = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=6)
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**9), 10**9),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=6),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(KEYS, inner, max_size=3)),
    max_leaves=8,
)
LAYOUT = {
    "indent": st.sampled_from([None, 0, 1, 2, 4, "\t", " \t"]),
    "compact": st.booleans(),
    "ensure_ascii": st.booleans(),
    "lead": st.sampled_from(["", " ", "\n", "\r\n "]),
    "tail": st.sampled_from(["", "\n", "\n\n", " "]),
    "crlf": st.booleans(),
}


def render(
    doc: Any, indent: Any, compact: bool, ensure_ascii: bool, lead: str, tail: str, crlf: bool
) -> str:
    separators = (",", ":") if compact else None
    text = lead + json.dumps(doc, indent=indent, separators=separators, ensure_ascii=ensure_ascii)
    text += tail
    return text.replace("\n", "\r\n") if crlf else text


def changed_span(old: str, new: str) -> tuple[int, int]:
    """[start, end) of `old` that differs from `new` (the rest is a common prefix and
    suffix)."""
    prefix = 0
    while prefix < min(len(old), len(new)) and old[prefix] == new[prefix]:
        prefix += 1
    suffix = 0
    while (
        suffix < min(len(old), len(new)) - prefix
        and old[len(old) - 1 - suffix] == new[len(new) - 1 - suffix]
    ):
        suffix += 1
    return prefix, len(old) - suffix


def add_then_remove(
    text: str, obj: JsonObject, locate: Any, new: dict[str, str], depth: int
) -> str:
    """Append `new` (key -> value text) to the object `locate(text)` finds, check the
    result, then remove them again, last first; the final text."""
    style = Style.of(text, scan_top(text))
    colon = obj.colon(text, style.colon)
    members = [render_member(k, v, colon) for k, v in new.items()]
    edited = append_members(text, obj, members, style, depth)
    start, end = changed_span(text, edited)
    assert obj.open < start and end <= obj.close  # only the inside of the object changed
    grown = locate(edited)
    assert [m.key for m in grown.members] == [m.key for m in obj.members] + list(new)
    for key, value in new.items():
        member = grown.members[grown.find(key)[-1]]
        assert edited[member.value_start : member.value_end] == value
    for _ in new:
        grown = locate(edited)
        edited = remove_member(edited, grown, len(grown.members) - 1, obj.inner(text))
    return edited


NEW_MEMBERS = st.dictionaries(
    KEYS.map(lambda k: "new:" + k),
    st.sampled_from(['"aqora"', "1", "[]", '{"x": null}']),
    min_size=1,
    max_size=3,
)


@settings(max_examples=300, deadline=None)
@given(doc=st.dictionaries(KEYS, VALUES, max_size=5), new=NEW_MEMBERS, **LAYOUT)
def test_fuzz_append_then_remove_gives_back_the_bytes(
    doc: dict[str, Any], new: dict[str, str], **layout: Any
) -> None:
    text = render(doc, **layout)
    top = scan_top(text)
    assert [m.key for m in top.members] == list(doc)
    result = add_then_remove(text, top, scan_top, new, 0)
    assert result == text
    assert json.loads(result) == doc


@settings(max_examples=200, deadline=None)
@given(
    doc=st.dictionaries(KEYS, VALUES, max_size=4),
    inner=st.dictionaries(KEYS, VALUES, max_size=3),
    where=st.integers(0, 4),
    new=NEW_MEMBERS,
    **LAYOUT,
)
def test_fuzz_append_then_remove_in_a_nested_object(
    doc: dict[str, Any], inner: dict[str, Any], where: int, new: dict[str, str], **layout: Any
) -> None:
    items = [(k, v) for k, v in doc.items() if k != "nest"]
    items.insert(min(where, len(items)), ("nest", inner))
    doc = dict(items)
    text = render(doc, **layout)

    def locate(t: str) -> JsonObject:
        top = scan_top(t)
        return member_object(t, top, top.find("nest")[0])

    result = add_then_remove(text, locate(text), locate, new, 1)
    assert result == text


@settings(max_examples=200, deadline=None)
@given(doc=st.dictionaries(KEYS, VALUES, min_size=1, max_size=5), pick=st.integers(0, 4), **LAYOUT)
def test_fuzz_remove_and_replace_touch_only_their_member(
    doc: dict[str, Any], pick: int, **layout: Any
) -> None:
    text = render(doc, **layout)
    top = scan_top(text)
    index = pick % len(top.members)
    member = top.members[index]

    removed = remove_member(text, top, index, " ")
    expected = {k: v for k, v in doc.items() if k != member.key}
    assert json.loads(removed) == expected and list(json.loads(removed)) == list(expected)
    start, end = changed_span(text, removed)
    assert top.open < start and end <= top.close

    replaced = replace_value(text, member, '"aqora"')
    assert json.loads(replaced) == {**doc, member.key: "aqora"}
    back = replace_value(
        replaced, scan_top(replaced).members[index], text[member.value_start : member.value_end]
    )
    assert back == text
