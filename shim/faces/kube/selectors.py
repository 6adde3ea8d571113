"""`labelSelector` and `fieldSelector` as Kubernetes parses them, in one pass.

A hand-written tokenizer, no regular expression over the whole text: the time is
linear in its length whatever it holds. Keys and values keep Kubernetes' limits
(a key is an optional DNS-subdomain prefix of at most 253 characters, `/`, and a
name of at most 63; a value at most 63), and a refusal names the limit.
"""

from __future__ import annotations

import re
from typing import Callable, Iterator

from shim.errors import ApiError, brief

LabelTest = Callable[[dict], bool]
NameTest = Callable[[str], bool]
_SPECIAL = "!=,()<>"
_OPERATORS = ("==", "!=", "=", "!", ",", "(", ")", "<", ">")
_NAME = re.compile(r"[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?")  # run on <= 63 characters
_PREFIX = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
MAX_NAME, MAX_PREFIX, MAX_VALUE = 63, 253, 63


def tokens(text: str) -> Iterator[str]:
    """Operators and words; spaces only separate. Each character is looked at once."""
    i, end = 0, len(text)
    while i < end:
        char = text[i]
        if char.isspace():
            i += 1
        elif char in _SPECIAL:
            pair = text[i:i + 2]
            word = pair if pair in ("==", "!=") else char
            yield word
            i += len(word)
        else:
            start = i
            while i < end and not text[i].isspace() and text[i] not in _SPECIAL:
                i += 1
            yield text[start:i]


class _Reader:
    def __init__(self, text: str) -> None:
        self.items = list(tokens(text))
        self.at = 0

    def peek(self) -> str | None:
        return self.items[self.at] if self.at < len(self.items) else None

    def take(self) -> str | None:
        found = self.peek()
        self.at += found is not None
        return found

    def word(self, what: str) -> str:
        found = self.take()
        if found is None or found in _OPERATORS:
            raise refused(f"{what} expected, found {brief(found or 'the end')}")
        return found


def parse_label_selector(text: str) -> list[LabelTest]:
    reader, tests = _Reader(text), []
    while reader.peek() is not None:
        tests.append(_requirement(reader))
        separator = reader.take()
        if separator not in (",", None):
            raise refused(f"',' expected, found {brief(separator)}")
    return tests


def _requirement(reader: _Reader) -> LabelTest:
    if reader.peek() == "!":
        reader.take()
        key = label_key(reader.word("a key"))
        return lambda labels: key not in labels
    key = label_key(reader.word("a key"))
    op = reader.peek()
    if op in (",", None):
        return lambda labels: key in labels
    reader.take()
    if op in ("=", "==", "!="):
        value = label_value(reader.take() if reader.peek() not in (",", None) else "")
        if op == "!=":
            return lambda labels: labels.get(key) != value
        return lambda labels: labels.get(key) == value
    if op in ("in", "notin"):
        choices = _values(reader)
        if op == "in":
            return lambda labels: labels.get(key) in choices
        return lambda labels: labels.get(key) not in choices
    raise refused(f"an operator (=, ==, !=, in, notin) expected, found {brief(op)}")


def _values(reader: _Reader) -> frozenset[str]:
    if reader.take() != "(":
        raise refused("'(' expected after in/notin")
    values, expect_value = set(), True
    while True:
        found = reader.take()
        if found == ")":
            if expect_value:
                values.add("")
            return frozenset(values)
        if found == ",":
            if expect_value:
                values.add("")
            expect_value = True
        elif found is not None and found not in _OPERATORS and expect_value:
            values.add(label_value(found))
            expect_value = False
        else:
            raise refused(f"')' expected, found {brief(found or 'the end')}")


def label_key(key: str) -> str:
    prefix, slash, name = key.rpartition("/")
    if slash and not prefix:
        raise refused(f"key {brief(key)}: prefix part must be non-empty")
    if len(prefix) > MAX_PREFIX:
        raise refused(f"key {brief(key)}: prefix part must be no more than {MAX_PREFIX} "
                      "characters")
    if prefix and not _PREFIX.fullmatch(prefix):
        raise refused(f"key {brief(key)}: prefix part must be a lowercase RFC 1123 subdomain")
    _check_name(key, name, "name part")
    return key


def label_value(value: str) -> str:
    if value:
        _check_name(value, value, "value")
    return value


def _check_name(whole: str, name: str, what: str) -> None:
    if len(name) > MAX_NAME:
        raise refused(f"{brief(whole)}: {what} must be no more than {MAX_NAME} characters")
    if not _NAME.fullmatch(name):
        raise refused(f"{brief(whole)}: {what} must consist of alphanumeric characters, '-', "
                      "'_' or '.', and must start and end with an alphanumeric character")


def parse_field_selector(text: str) -> list[NameTest]:
    """Only `metadata.name` (`=`, `==`, `!=`), as Rancher serves tokens."""
    tests = []
    for part in text.split(","):
        if not part.strip():
            continue
        field, op, value = _field_requirement(part)
        if field != "metadata.name":
            raise ApiError(400, "BadRequest", f"field label not supported: {brief(field)}")
        tests.append((lambda name, v=value: name != v) if op == "!=" else
                     (lambda name, v=value: name == v))
    return tests


def _field_requirement(part: str) -> tuple[str, str, str]:
    for op in ("!=", "==", "="):
        field, found, value = part.partition(op)
        if found:
            return field.strip(), op, value.strip()
    raise ApiError(400, "BadRequest", f"invalid field selector: {brief(part)}: an operator "
                   "(=, ==, !=) expected")


def refused(why: str) -> ApiError:
    return ApiError(400, "BadRequest", f"unable to parse requirement: {why}")
