"""A parser for the subset of the Google Ads Query Language (GAQL) the platform's source sends.

    SELECT field, ... FROM resource
    [WHERE condition AND condition ...]
    [ORDER BY field [ASC|DESC], ...] [LIMIT n] [PARAMETERS name = value, ...]

Conditions: `field op value` with `= != > >= < <=`, `[NOT] IN (v, ...)`, `BETWEEN a AND b`,
`[NOT] LIKE '%x%'`, `IS [NOT] NULL` and `DURING LAST_7_DAYS`-style date ranges. Values are
quoted strings, numbers, TRUE/FALSE or enum constants. Errors carry the `QueryError` enum name
the real API uses, so the server can answer with a `GoogleAdsFailure`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

KEYWORDS = {
    "SELECT",
    "FROM",
    "WHERE",
    "AND",
    "ORDER",
    "BY",
    "ASC",
    "DESC",
    "LIMIT",
    "PARAMETERS",
    "BETWEEN",
    "IN",
    "NOT",
    "LIKE",
    "IS",
    "NULL",
    "DURING",
}
DATE_RANGES = {
    "TODAY",
    "YESTERDAY",
    "LAST_7_DAYS",
    "LAST_14_DAYS",
    "LAST_30_DAYS",
    "THIS_MONTH",
    "LAST_MONTH",
}

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<string>'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*")
      | (?P<number>-?\d+(?:\.\d+)?)
      | (?P<name>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)
      | (?P<op>!=|>=|<=|=|>|<)
      | (?P<punct>[,()])
    )""",
    re.VERBOSE,
)


class QueryError(ValueError):
    """A query the API would refuse; `code` is the `QueryErrorEnum.QueryError` name."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Condition:
    field: str
    operator: str  # = != > >= < <= IN NOT_IN BETWEEN LIKE NOT_LIKE IS_NULL IS_NOT_NULL DURING
    values: tuple[Any, ...] = ()


@dataclass(frozen=True)
class Ordering:
    field: str
    descending: bool = False


@dataclass(frozen=True)
class Query:
    fields: tuple[str, ...]
    resource: str
    conditions: tuple[Condition, ...] = ()
    order_by: tuple[Ordering, ...] = ()
    limit: int | None = None
    parameters: dict[str, str] = field(default_factory=dict)

    def referenced(self) -> set[str]:
        """Every field the query names anywhere."""
        return {
            *self.fields,
            *(c.field for c in self.conditions),
            *(o.field for o in self.order_by),
        }


@dataclass(frozen=True)
class _Token:
    kind: str  # string, number, name, keyword, op, punct, end
    text: str
    value: Any


def tokenize(text: str) -> list[_Token]:
    tokens = []
    position = 0
    text = text.rstrip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if not match or match.end() == position:
            position += len(text[position:]) - len(text[position:].lstrip())
            if text[position] in "'\"":
                raise QueryError("STRING_NOT_TERMINATED", f"Unterminated string at {position}.")
            raise QueryError(
                "BAD_SYMBOL", f"Error in query: unexpected input {text[position:][:20]!r}."
            )
        position = match.end()
        kind = match.lastgroup or ""
        raw = match.group(kind)
        if kind == "string":
            tokens.append(_Token("string", raw, re.sub(r"\\(.)", r"\1", raw[1:-1])))
        elif kind == "number":
            tokens.append(_Token("number", raw, float(raw) if "." in raw else int(raw)))
        elif kind == "name" and raw.upper() in KEYWORDS:
            tokens.append(_Token("keyword", raw.upper(), raw.upper()))
        else:
            tokens.append(_Token(kind, raw, raw))
    tokens.append(_Token("end", "", None))
    return tokens


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = tokenize(text)
        self.at = 0

    def peek(self) -> _Token:
        return self.tokens[self.at]

    def take(self) -> _Token:
        token = self.tokens[self.at]
        self.at += 1
        return token

    def keyword(self, word: str) -> bool:
        token = self.peek()
        if token.kind == "keyword" and token.value == word:
            self.at += 1
            return True
        return False

    def expect_keyword(self, word: str, code: str) -> None:
        if not self.keyword(word):
            raise QueryError(code, f"Error in query: expected {word}, got {self.peek().text!r}.")

    def field_name(self) -> str:
        token = self.take()
        if token.kind != "name":
            if token.kind == "end":
                raise QueryError(
                    "UNEXPECTED_END_OF_QUERY", "Error in query: unexpected end of query."
                )
            raise QueryError(
                "BAD_FIELD_NAME", f"Error in query: expected a field, got {token.text!r}."
            )
        return token.text

    def value(self) -> Any:
        token = self.take()
        if token.kind in ("string", "number"):
            return token.value
        if token.kind == "name":
            upper = token.text.upper()
            if upper in ("TRUE", "FALSE"):
                return upper == "TRUE"
            return token.text  # an enum constant
        if token.kind == "end":
            raise QueryError("UNEXPECTED_END_OF_QUERY", "Error in query: unexpected end of query.")
        raise QueryError("BAD_VALUE", f"Error in query: unexpected value {token.text!r}.")

    def value_list(self) -> tuple[Any, ...]:
        if self.take().text != "(":
            raise QueryError("EXPECTED_LIST", "Error in query: IN expects a (list).")
        values = [self.value()]
        while self.peek().text == ",":
            self.take()
            values.append(self.value())
        if self.take().text != ")":
            raise QueryError("EXPECTED_LIST", "Error in query: unterminated list.")
        return tuple(values)

    def condition(self) -> Condition:
        name = self.field_name()
        token = self.peek()
        if token.kind == "op":
            self.take()
            return Condition(name, token.value, (self.value(),))
        if self.keyword("IN"):
            return Condition(name, "IN", self.value_list())
        if self.keyword("NOT"):
            if self.keyword("IN"):
                return Condition(name, "NOT_IN", self.value_list())
            if self.keyword("LIKE"):
                return Condition(name, "NOT_LIKE", (self.value(),))
            raise QueryError("BAD_OPERATOR", "Error in query: NOT must be followed by IN or LIKE.")
        if self.keyword("BETWEEN"):
            low = self.value()
            if not self.keyword("AND"):
                raise QueryError("EXPECTED_AND", "Error in query: BETWEEN needs AND.")
            return Condition(name, "BETWEEN", (low, self.value()))
        if self.keyword("LIKE"):
            return Condition(name, "LIKE", (self.value(),))
        if self.keyword("IS"):
            negated = self.keyword("NOT")
            self.expect_keyword("NULL", "BAD_OPERATOR")
            return Condition(name, "IS_NOT_NULL" if negated else "IS_NULL")
        if self.keyword("DURING"):
            period = self.take().text.upper()
            if period not in DATE_RANGES:
                raise QueryError(
                    "INVALID_VALUE_WITH_DURING_OPERATOR",
                    f"Error in query: {period!r} is not a date range for DURING.",
                )
            return Condition(name, "DURING", (period,))
        raise QueryError("BAD_OPERATOR", f"Error in query: unexpected operator {token.text!r}.")

    def parse(self) -> Query:
        self.expect_keyword("SELECT", "EXPECTED_SELECT")
        fields = [self.field_name()]
        while self.peek().text == ",":
            self.take()
            fields.append(self.field_name())
        self.expect_keyword("FROM", "EXPECTED_FROM")
        resource = self.take()
        if resource.kind != "name" or "." in resource.text:
            raise QueryError(
                "BAD_RESOURCE_TYPE_IN_FROM_CLAUSE",
                f"Error in query: {resource.text!r} is not a resource.",
            )
        conditions: list[Condition] = []
        if self.keyword("WHERE"):
            conditions.append(self.condition())
            while self.keyword("AND"):
                conditions.append(self.condition())
        order_by: list[Ordering] = []
        if self.keyword("ORDER"):
            self.expect_keyword("BY", "EXPECTED_BY")
            while True:
                name = self.field_name()
                descending = self.keyword("DESC")
                if not descending:
                    self.keyword("ASC")
                order_by.append(Ordering(name, descending))
                if self.peek().text != ",":
                    break
                self.take()
        limit = None
        if self.keyword("LIMIT"):
            token = self.take()
            if token.kind != "number" or not isinstance(token.value, int):
                raise QueryError("BAD_LIMIT_VALUE", "Error in query: LIMIT needs a whole number.")
            if token.value < 1:
                raise QueryError("LIMIT_VALUE_TOO_LOW", "Error in query: LIMIT must be positive.")
            limit = token.value
        parameters: dict[str, str] = {}
        if self.keyword("PARAMETERS"):
            while True:
                name = self.field_name()
                if self.take().text != "=":
                    raise QueryError(
                        "BAD_PARAMETER_VALUE", "Error in query: expected = in PARAMETERS."
                    )
                parameters[name] = str(self.value())
                if self.peek().text != ",":
                    break
                self.take()
        if self.peek().kind != "end":
            raise QueryError(
                "UNEXPECTED_INPUT", f"Error in query: unexpected {self.peek().text!r}."
            )
        if len(set(fields)) != len(fields):
            raise QueryError(
                "PROHIBITED_FIELD_COMBINATION_IN_SELECT_CLAUSE",
                "Error in query: a field is selected twice.",
            )
        return Query(
            tuple(fields), resource.text, tuple(conditions), tuple(order_by), limit, parameters
        )


def parse(text: str) -> Query:
    """Parse one GAQL query; raises `QueryError` with the API's error code."""
    return _Parser(text).parse()
