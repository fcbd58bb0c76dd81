"""The region rule language: a tokenizer and a recursive-descent parser (never ``eval``).

One syntax for every region rule, declared by a user or written by the profiler::

    rule       := condition ("and" condition)*
    condition  := operand CMP operand [CMP operand]      # 3 <= age < 40
                | name ["not"] "in" set                  # grade in {'F1', 'F2'}
    set        := "{" literal ("," literal)* [","] "}"   # [...] and (...) are read too
    operand    := name | literal
    name       := identifier (letters, digits, "_", ".") | `any text in backquotes` (`` is `)
    literal    := 'text' | "text" | number | True | False
    CMP        := "==" | "!=" | "<" | "<=" | ">" | ">="

A bare word is always a column name: text values are quoted (``sex == 'Female'``).
Keywords (``and``, ``in``, ``not``, ``True``, ``False``) are case-insensitive.
:func:`format_name` and :func:`format_value` write names and values so that they
parse back to themselves; ``Region.describe`` uses them.
"""

from __future__ import annotations

import numbers
import re
from dataclasses import dataclass

import numpy as np

from augment.errors import ConfigError

__all__ = ["Condition", "RuleSyntaxError", "format_name", "format_value", "parse_rule"]

OPERATORS = ("==", "!=", "<", "<=", ">", ">=")
_FLIP = {"==": "==", "!=": "!=", "<": ">", "<=": ">=", ">": "<", ">=": "<="}
_KEYWORDS = {"and", "in", "not", "true", "false", "or"}
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*")
_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_OPEN = {"{": "}", "[": "]", "(": ")"}


class RuleSyntaxError(ConfigError):
    """A region rule that does not follow the rule grammar."""


@dataclass(frozen=True)
class Condition:
    """One condition of a rule: ``column op value`` (``values`` holds one value, or a set)."""

    column: str
    op: str  # one of OPERATORS, "in", "not in"
    values: tuple


@dataclass(frozen=True)
class _Token:
    kind: str  # name, string, number, bool, op, keyword, punct, end
    value: object
    pos: int


def _tokens(text: str) -> list[_Token]:
    out: list[_Token] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch.isspace():
            i += 1
        elif ch in "'\"":
            token, i = _quoted(text, i)
            out.append(token)
        elif ch == "`":
            token, i = _backquoted(text, i)
            out.append(token)
        elif text.startswith(("==", "!=", "<=", ">="), i):
            out.append(_Token("op", text[i:i + 2], i))
            i += 2
        elif ch in "<>":
            out.append(_Token("op", ch, i))
            i += 1
        elif ch == "=":
            raise _error(text, i, "'==' to compare (a single '=' is not an operator)")
        elif ch in "{}[](),":
            out.append(_Token("punct", ch, i))
            i += 1
        elif (m := _NUMBER.match(text, i)) and not (ch in "+-" and out and out[-1].kind in (
                "name", "number", "string", "bool")):
            value = float(m.group()) if any(c in m.group() for c in ".eE") else int(m.group())
            out.append(_Token("number", value, i))
            i = m.end()
        elif m := _IDENT.match(text, i):
            out.append(_word(m.group(), i))
            i = m.end()
        elif text.startswith(("&&", "&"), i):
            raise _error(text, i, "'and' to join conditions")
        else:
            raise _error(text, i, "a column name, a quoted value, a number or an operator")
    out.append(_Token("end", None, n))
    return out


def _quoted(text: str, i: int) -> tuple[_Token, int]:
    """The quoted text starting at ``i`` (backslash escapes the next character), and where
    the rule goes on."""
    quote, n = text[i], len(text)
    j, chars = i + 1, []
    while j < n and text[j] != quote:
        if text[j] == "\\" and j + 1 < n:
            j += 1
        chars.append(text[j])
        j += 1
    if j >= n:
        raise _error(text, i, f"a closing {quote} for the text that starts here")
    return _Token("string", "".join(chars), i), j + 1


def _backquoted(text: str, i: int) -> tuple[_Token, int]:
    """The backquoted column name starting at ``i`` (a doubled backquote inside stands for
    one), and where the rule goes on."""
    j, chars = i + 1, []
    while True:
        k = text.find("`", j)
        if k < 0:
            raise _error(text, i, "a closing ` for the column name that starts here")
        chars.append(text[j:k])
        if not text.startswith("``", k):
            break
        chars.append("`")
        j = k + 2
    return _Token("name", "".join(chars), i), k + 1


def _word(word: str, i: int) -> _Token:
    """A bare word: ``true`` / ``false``, a keyword, or a column name."""
    low = word.lower()
    if low in ("true", "false"):
        return _Token("bool", low == "true", i)
    if low in _KEYWORDS:
        return _Token("keyword", low, i)
    return _Token("name", word, i)


def _error(text: str, pos: int, expected: str) -> RuleSyntaxError:
    found = text[pos:pos + 12] or "the end of the rule"
    return RuleSyntaxError(
        f"Cannot read region rule {text!r}: at position {pos} expected {expected}; got "
        f"{found!r}. Rules look like: sex == 'Female' and age >= 40 and grade in {{'A', 'B'}}.")


class _Parser:
    def __init__(self, text: str):
        self.text = text
        self.tokens = _tokens(text)
        self.i = 0

    @property
    def token(self) -> _Token:
        return self.tokens[self.i]

    def fail(self, expected: str) -> RuleSyntaxError:
        tok = self.token
        return _error(self.text, tok.pos, expected)

    def take(self) -> _Token:
        tok = self.token
        self.i += 1
        return tok

    def rule(self) -> list[Condition]:
        if self.token.kind == "end":
            raise RuleSyntaxError("Expected a region rule such as \"sex == 'Female' and age >= "
                                  "40\". Got an empty rule.")
        conditions = self.condition()
        while self.token.kind == "keyword" and self.token.value == "and":
            self.take()
            conditions += self.condition()
        if self.token.kind == "keyword" and self.token.value == "or":
            raise self.fail("'and' or the end of the rule ('or' is not supported: declare two "
                            "regions instead)")
        if self.token.kind != "end":
            raise self.fail("'and' or the end of the rule")
        return conditions

    def operand(self) -> _Token:
        if self.token.kind in ("name", "string", "number", "bool"):
            return self.take()
        raise self.fail("a column name or a value")

    def condition(self) -> list[Condition]:
        left = self.operand()
        tok = self.token
        if tok.kind == "keyword" and tok.value in ("in", "not"):
            if left.kind != "name":
                raise _error(self.text, left.pos, "a column name before 'in'")
            self.take()
            op = "in"
            if tok.value == "not":
                if not (self.token.kind == "keyword" and self.token.value == "in"):
                    raise self.fail("'in' after 'not'")
                self.take()
                op = "not in"
            return [Condition(str(left.value), op, self.set())]
        if tok.kind != "op":
            raise self.fail("a comparison (==, !=, <, <=, >, >=) or 'in'")
        self.take()
        middle = self.operand()
        out = [self.compare(left, tok, middle)]
        if self.token.kind == "op":  # a chain: 3 <= age < 40
            second = self.take()
            right = self.operand()
            out.append(self.compare(middle, second, right))
        return out

    def compare(self, left: _Token, op: _Token, right: _Token) -> Condition:
        if left.kind == "name" and right.kind == "name":
            raise _error(self.text, right.pos, f"a value after {op.value!r} (quote text values: "
                         f"{left.value} {op.value} '{right.value}')")
        if left.kind != "name" and right.kind != "name":
            raise _error(self.text, left.pos, "a column name on one side of the comparison")
        if left.kind == "name":
            return Condition(str(left.value), str(op.value), (right.value,))
        return Condition(str(right.value), _FLIP[str(op.value)], (left.value,))

    def set(self) -> tuple:
        tok = self.token
        if not (tok.kind == "punct" and tok.value in _OPEN):
            raise self.fail("a set of values such as {'a', 'b'}")
        close = _OPEN[str(tok.value)]
        self.take()
        values = []
        while not (self.token.kind == "punct" and self.token.value == close):
            if self.token.kind not in ("string", "number", "bool"):
                raise self.fail(f"a quoted value, a number or {close!r}")
            values.append(self.take().value)
            if self.token.kind == "punct" and self.token.value == ",":
                self.take()
            elif not (self.token.kind == "punct" and self.token.value == close):
                raise self.fail(f"',' or {close!r}")
        self.take()
        if not values:
            raise _error(self.text, tok.pos, "at least one value in the set")
        return tuple(values)


def parse_rule(text: str) -> list[Condition]:
    """Parse a region rule into its conditions (joined by ``and``).

    Parameters
    ----------
    text : str
        A rule such as ``"sex == 'Female' and age >= 40"``.

    Returns
    -------
    list of Condition
        A comparison with the value on the left is turned around (``40 <= age`` is
        ``age >= 40``); a chain ``3 <= age < 40`` gives two conditions.

    Raises
    ------
    RuleSyntaxError
        With the position where the rule stops making sense.

    Examples
    --------
    >>> parse_rule("sex == 'Female' and 40 <= age")
    [Condition(column='sex', op='==', values=('Female',)), Condition(column='age', op='>=', values=(40,))]
    """  # noqa: E501
    if not isinstance(text, str):
        raise RuleSyntaxError(f"Expected a region rule as text, such as \"sex == 'Female'\". "
                              f"Got {type(text).__name__} {text!r}.")
    return _Parser(text).rule()


def format_name(column) -> str:
    """A column name as the grammar reads it: bare when it can be, else in backquotes."""
    name = str(column)
    if _IDENT.fullmatch(name) and name.lower() not in _KEYWORDS:
        return name
    return "`" + name.replace("`", "``") + "`"


def format_number(value: float) -> str:
    """The shortest text that reads back as exactly ``value`` (``30000``, ``2.5``)."""
    value = float(value)
    if value == int(value) and abs(value) < 1e16:
        return str(int(value))
    return np.format_float_positional(value, unique=True, trim="-")


def format_value(value) -> str:
    """A value as the grammar reads it: text quoted, numbers and booleans bare."""
    if isinstance(value, (bool, np.bool_)):
        return "True" if value else "False"
    if isinstance(value, numbers.Integral):
        return str(int(value))
    if isinstance(value, numbers.Real):
        return format_number(float(value))
    text = str(value).replace("\\", "\\\\").replace("'", "\\'")
    return f"'{text}'"
