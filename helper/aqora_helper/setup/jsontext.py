"""Edit a JSON object as text: every byte not edited stays as it was.

`scan_top` finds the members of the top-level object (and `scan_object` those of a nested
one) with their offsets; `append_members` inserts members in the style of the file
(indentation, newline, spacing around `:`, separators), `remove_member` takes one out
with its separator, `replace_value` swaps a value's text. Removing what was appended
gives back the original text; for an object that was empty, pass its old inside
(`JsonObject.inner`) as `empty_inner`. Pure functions on `str`: no I/O.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass

WHITESPACE = " \t\n\r"
# (text, index after the opening quote) -> (string, index after the closing quote)
_scanstring: Callable[[str, int], tuple[str, int]] = json.decoder.scanstring  # type: ignore[attr-defined]
_DECODER = json.JSONDecoder()


class JsonTextError(ValueError):
    """The text is not the JSON object the editor was asked to read."""


@dataclass(frozen=True)
class Member:
    """One `"key": value` of an object, as offsets into the text."""

    key: str
    key_start: int  # the opening quote of the key
    key_end: int  # after its closing quote
    value_start: int
    value_end: int


@dataclass(frozen=True)
class JsonObject:
    """An object: the offsets of its braces and its members, in order."""

    open: int
    close: int
    members: tuple[Member, ...]

    def find(self, key: str) -> list[int]:
        """Indexes of the members named `key` (JSON allows several)."""
        return [i for i, m in enumerate(self.members) if m.key == key]

    def inner(self, text: str) -> str:
        """The text between the braces."""
        return text[self.open + 1 : self.close]

    def colon(self, text: str, default: str) -> str:
        """The text between a key and its value here (`default` when empty)."""
        if not self.members:
            return default
        return text[self.members[0].key_end : self.members[0].value_start]


def skip_whitespace(text: str, pos: int) -> int:
    """The first offset at or after `pos` that is not JSON whitespace."""
    while pos < len(text) and text[pos] in WHITESPACE:
        pos += 1
    return pos


def _expect(text: str, pos: int, chars: str) -> str:
    if pos >= len(text) or text[pos] not in chars:
        found = repr(text[pos]) if pos < len(text) else "the end"
        raise JsonTextError(f"expected one of {chars!r} at offset {pos}, found {found}")
    return text[pos]


def _string(text: str, pos: int) -> tuple[str, int]:
    _expect(text, pos, '"')
    try:
        return _scanstring(text, pos + 1)
    except ValueError as exc:
        raise JsonTextError(f"bad string at offset {pos}: {exc}") from None


def _value_end(text: str, pos: int) -> int:
    try:
        end: int = _DECODER.raw_decode(text, pos)[1]
    except ValueError as exc:
        raise JsonTextError(f"bad value at offset {pos}: {exc}") from None
    return end


def scan_object(text: str, pos: int) -> JsonObject:
    """The object whose `{` is at `text[pos]`. Raises JsonTextError."""
    _expect(text, pos, "{")
    members: list[Member] = []
    i = skip_whitespace(text, pos + 1)
    if _expect(text, i, '"}') == "}":
        return JsonObject(pos, i, ())
    while True:
        key, key_end = _string(text, i)
        colon = skip_whitespace(text, key_end)
        _expect(text, colon, ":")
        value_start = skip_whitespace(text, colon + 1)
        value_end = _value_end(text, value_start)
        members.append(Member(key, i, key_end, value_start, value_end))
        after = skip_whitespace(text, value_end)
        if _expect(text, after, ",}") == "}":
            return JsonObject(pos, after, tuple(members))
        i = skip_whitespace(text, after + 1)


def scan_top(text: str) -> JsonObject:
    """The object that is the whole text (whitespace around it allowed)."""
    top = scan_object(text, skip_whitespace(text, 0))
    end = skip_whitespace(text, top.close + 1)
    if end != len(text):
        raise JsonTextError(f"unexpected text after the object at offset {end}")
    return top


def member_object(text: str, obj: JsonObject, index: int) -> JsonObject:
    """The value of member `index` of `obj`, which must be an object."""
    return scan_object(text, obj.members[index].value_start)


@dataclass(frozen=True)
class Style:
    """How a file lays out its objects, learned from its top-level object."""

    multiline: bool = True
    newline: str = "\n"
    indent: str = "\t"
    colon: str = ": "
    lead: str = ""  # one-line objects: after `{`
    trail: str = ""  # one-line objects: before `}`
    joiner: str = ", "  # one-line objects: between members

    @classmethod
    def of(cls, text: str, top: JsonObject) -> Style:
        """The style of `top` (the defaults of the docker CLI when it is empty)."""
        if not top.members:
            return cls()
        first, last = top.members[0], top.members[-1]
        lead = text[top.open + 1 : first.key_start]
        colon = text[first.key_end : first.value_start]
        if "\n" in lead:
            newline = "\r\n" if "\r\n" in lead else "\n"
            return cls(True, newline, lead.rsplit("\n", 1)[1], colon)
        if len(top.members) > 1:
            joiner = text[first.value_end : top.members[1].key_start]
        else:
            joiner = ", " if (lead or " " in colon) else ","
        return cls(False, "\n", "", colon, lead, text[last.value_end : top.close], joiner)

    def empty_inner(self, members: Sequence[str], depth: int) -> str:
        """The inside of a new object at `depth` (0 = top level) holding `members`."""
        if not self.multiline:
            return self.lead + self.joiner.join(members) + self.trail
        inner = self.newline + self.indent * (depth + 1)
        return inner + ("," + inner).join(members) + self.newline + self.indent * depth

    def render_object(self, members: Sequence[str], depth: int) -> str:
        """A new object at `depth` holding `members` (already rendered)."""
        return "{" + self.empty_inner(members, depth) + "}"


def render_member(key: str, value_text: str, colon: str) -> str:
    """`"key"<colon><value_text>`."""
    return json.dumps(key) + colon + value_text


def append_members(
    text: str, obj: JsonObject, members: Sequence[str], style: Style, depth: int
) -> str:
    """`text` with `members` (already rendered) appended to `obj`, which is at `depth`."""
    if not members:
        return text
    if not obj.members:
        return text[: obj.open + 1] + style.empty_inner(members, depth) + text[obj.close :]
    if len(obj.members) > 1:
        joiner = text[obj.members[-2].value_end : obj.members[-1].key_start]
    else:
        joiner = "," + text[obj.open + 1 : obj.members[0].key_start]
    end = obj.members[-1].value_end
    return text[:end] + "".join(joiner + m for m in members) + text[end:]


def remove_member(text: str, obj: JsonObject, index: int, empty_inner: str = "") -> str:
    """`text` without member `index` of `obj` and its separator; `empty_inner` becomes
    the inside of an object left empty."""
    members = obj.members
    if not 0 <= index < len(members):
        raise IndexError(f"no member {index} in an object of {len(members)}")
    if len(members) == 1:
        return text[: obj.open + 1] + empty_inner + text[obj.close :]
    if index > 0:
        return text[: members[index - 1].value_end] + text[members[index].value_end :]
    return text[: members[0].key_start] + text[members[1].key_start :]


def replace_value(text: str, member: Member, value_text: str) -> str:
    """`text` with the value of `member` replaced by `value_text`."""
    return text[: member.value_start] + value_text + text[member.value_end :]


def is_whitespace(text: str) -> bool:
    """True when `text` is only JSON whitespace (a valid `empty_inner`)."""
    return all(c in WHITESPACE for c in text)
