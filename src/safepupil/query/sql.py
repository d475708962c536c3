"""The restricted SQL front end: a small, aggregate-only subset of SQL read into the model.

Accepted (DuckDB syntax, read with sqlglot; the text itself is never run):

    SELECT <dimension>, ..., <aggregate>, ...
    FROM <dataset>
    [WHERE <condition>]
    [GROUP BY <dimension>, ...]

Aggregates: COUNT(*) and COUNT(DISTINCT pupil_token) (both count pupils), SUM(item),
AVG(item), MEDIAN(item), PROPORTION(<condition>). Conditions: comparisons of an item
with a literal (text, number, TRUE/FALSE, DATE 'YYYY-MM-DD'), IN (...), NOT IN (...),
BETWEEN, IS [NOT] NULL, AGE_ON(DATE '...') compared with a number of years, AND, OR,
NOT, brackets. The selected dimensions are exactly the GROUP BY columns, in SELECT order.

Everything else is refused with a QueryError naming the construct: joins, subqueries,
CTEs, set operations, SELECT *, ungrouped or row-level selects, other functions, window
functions, ORDER BY, LIMIT, HAVING, aliases, several statements, and comments (which
could hide text from whoever reviews the query).
"""

from __future__ import annotations

import datetime as dt

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, TokenError

from safepupil.errors import QueryError
from safepupil.query.model import Query
from safepupil.query.nodes import (
    AgeOn,
    And,
    Compare,
    Count,
    DateRange,
    Filter,
    InSet,
    IsNull,
    Mean,
    Measure,
    Median,
    Not,
    Operator,
    Or,
    Proportion,
    Sum,
    Value,
)
from safepupil.store.catalogue import Catalogue, Dataset

DIALECT = "duckdb"
MAX_SQL_CHARS = 20_000
_ALLOWED_CLAUSES = {"expressions", "from_", "where", "group"}
_CLAUSE_NAMES = {
    "with_": "WITH (common table expressions)",
    "joins": "JOIN",
    "laterals": "LATERAL",
    "order": "ORDER BY",
    "limit": "LIMIT",
    "offset": "OFFSET",
    "having": "HAVING",
    "qualify": "QUALIFY",
    "windows": "WINDOW",
    "distinct": "SELECT DISTINCT",
    "pivots": "PIVOT",
    "sample": "TABLESAMPLE",
    "into": "SELECT INTO",
}
_COMPARISONS: dict[type[exp.Expr], Operator] = {
    exp.EQ: "=",
    exp.NEQ: "!=",
    exp.LT: "<",
    exp.LTE: "<=",
    exp.GT: ">",
    exp.GTE: ">=",
}
_FLIPPED: dict[Operator, Operator] = {
    "=": "=",
    "!=": "!=",
    "<": ">",
    "<=": ">=",
    ">": "<",
    ">=": "<=",
}
_MAGNITUDES: dict[type[exp.Expr], type[Sum | Mean | Median]] = {
    exp.Sum: Sum,
    exp.Avg: Mean,
    exp.Median: Median,
}


def parse_sql(text: str, catalogue: Catalogue) -> Query:
    """The query that ``text`` asks, or a QueryError naming what is not allowed."""
    try:
        return _parse(text, catalogue)
    except RecursionError:
        raise QueryError("the query is nested too deeply") from None


def _parse(text: str, catalogue: Catalogue) -> Query:
    select = _single_select(text)
    for clause, value in select.args.items():
        if value and clause not in _ALLOWED_CLAUSES:
            raise _refuse(_CLAUSE_NAMES.get(clause, clause.upper().rstrip("_")))
    dataset = catalogue.dataset(_dataset_name(select))
    reader = _Reader(dataset)
    dimensions, measures = reader.select_list(select.expressions)
    _check_grouping(dimensions, _group_by(select))
    where = select.args.get("where")
    filters = (reader.condition(where.this),) if where is not None else ()
    return Query(dataset.name, filters, dimensions, measures, catalogue=catalogue)


def _single_select(text: str) -> exp.Select:
    if len(text) > MAX_SQL_CHARS:
        raise QueryError(f"a query may be at most {MAX_SQL_CHARS} characters")
    try:
        if any(token.comments for token in sqlglot.tokenize(text, read=DIALECT)):
            raise _refuse("comments", "remove comments: the query is reviewed as written")
        statements = [s for s in sqlglot.parse(text, read=DIALECT) if s is not None]
    except ParseError as error:
        first = error.errors[0] if error.errors else {}
        where = f" at line {first.get('line')}, column {first.get('col')}" if first else ""
        raise QueryError(f"cannot read the SQL{where}: {first.get('description', error)}") from None
    except TokenError:
        raise QueryError("cannot read the SQL: an unfinished string or symbol") from None
    if len(statements) != 1:
        raise _refuse("more than one statement", "send one SELECT")
    statement = statements[0]
    if isinstance(statement, exp.SetOperation):
        raise _refuse(type(statement).__name__.upper(), "send one SELECT")
    if not isinstance(statement, exp.Select):
        raise _refuse(f"{statement.key.upper()} statements", "only SELECT is allowed")
    return statement


def _dataset_name(select: exp.Select) -> str:
    source = select.args.get("from_")
    table = source.this if source is not None else None
    if isinstance(table, exp.Subquery):
        raise _refuse("subqueries")
    if not isinstance(table, exp.Table) or not isinstance(table.this, exp.Identifier):
        raise _refuse("FROM anything but a dataset name", "write FROM <dataset>")
    if table.args.get("db") or table.args.get("catalog") or table.args.get("alias"):
        raise _refuse("qualified table names and table aliases", "write FROM <dataset>")
    return _identifier(table.this)


def _group_by(select: exp.Select) -> tuple[str, ...]:
    group = select.args.get("group")
    if group is None:
        return ()
    if any(value for key, value in group.args.items() if key != "expressions"):
        raise _refuse("GROUP BY ALL, ROLLUP, CUBE and GROUPING SETS", "margins come with results")
    names = []
    for expression in group.expressions:
        if not isinstance(expression, exp.Column):
            raise _refuse(f"GROUP BY {expression.sql(DIALECT)}", "group by dimension names only")
        names.append(_column(expression))
    return tuple(names)


def _check_grouping(dimensions: tuple[str, ...], grouped: tuple[str, ...]) -> None:
    ungrouped = [d for d in dimensions if d not in grouped]
    if ungrouped:
        raise _refuse(
            f"selecting {', '.join(ungrouped)} without GROUP BY",
            "every selected column must be in GROUP BY: no pupil-level rows leave the store",
        )
    unselected = [g for g in grouped if g not in dimensions]
    if unselected:
        raise _refuse(f"grouping by {', '.join(unselected)} without selecting it")


class _Reader:
    """Reads the expressions of one query on one dataset."""

    def __init__(self, dataset: Dataset) -> None:
        self.dataset = dataset

    def select_list(
        self, expressions: list[exp.Expr]
    ) -> tuple[tuple[str, ...], tuple[Measure, ...]]:
        dimensions: list[str] = []
        measures: list[Measure] = []
        for expression in expressions:
            if isinstance(expression, exp.Column):
                dimensions.append(_column(expression))
            else:
                measures.append(self.aggregate(expression))
        if not measures:
            raise _refuse(
                "a row-level SELECT",
                "select an aggregate: COUNT(*), SUM, AVG, MEDIAN or PROPORTION",
            )
        return tuple(dimensions), tuple(measures)

    def aggregate(self, expression: exp.Expr) -> Measure:
        _refuse_common(expression)
        if isinstance(expression, exp.Count):
            return _count(expression)
        if type(expression) in _MAGNITUDES:
            argument = expression.this
            if not isinstance(argument, exp.Column):
                raise _refuse(f"{expression.key.upper()} of anything but an item")
            return _MAGNITUDES[type(expression)](_column(argument))
        if _function_name(expression) == "PROPORTION" and len(expression.expressions) == 1:
            return Proportion(self.condition(expression.expressions[0]))
        raise _refuse(f"{_describe(expression)} in SELECT", "select dimensions and aggregates")

    def condition(self, expression: exp.Expr) -> Filter:
        _refuse_common(expression)
        match expression:
            case exp.Paren():
                return self.condition(expression.this)
            case exp.And():
                return And((self.condition(expression.this), self.condition(expression.expression)))
            case exp.Or():
                return Or((self.condition(expression.this), self.condition(expression.expression)))
            case exp.Not():
                return Not(self.condition(expression.this))
            case exp.In():
                return self._in(expression)
            case exp.Between():
                return self._between(expression)
            case exp.Is():
                return self._is(expression)
        if type(expression) in _COMPARISONS:
            return self._comparison(expression)
        raise _refuse(f"{_describe(expression)} in a condition")

    def _comparison(self, expression: exp.Expr) -> Filter:
        op = _COMPARISONS[type(expression)]
        left, right = expression.this, expression.expression
        for side in (left, right):
            if (
                isinstance(side, exp.Func)
                and not isinstance(side, exp.Cast)
                and not _is_age_on(side)
            ):
                raise _refuse(
                    _describe(side), "compare an item, or AGE_ON(DATE '...'), with a value"
                )
        if not isinstance(left, exp.Column) and not _is_age_on(left):
            left, right, op = right, left, _FLIPPED[op]
        if _is_age_on(left):
            years = self.literal(right, None)
            return AgeOn(_age_on_day(left), op, years)  # type: ignore[arg-type]  # checked by AgeOn
        if not isinstance(left, exp.Column):
            raise _refuse("a comparison without an item", "compare an item with a value")
        item = _column(left)
        return Compare(item, op, self.literal(right, item))

    def _in(self, expression: exp.In) -> Filter:
        if expression.args.get("query") is not None:
            raise _refuse("subqueries")
        if not isinstance(expression.this, exp.Column) or expression.args.get("unnest"):
            raise _refuse("IN on anything but an item and a list of codes")
        item = _column(expression.this)
        codes = [self.literal(code, item) for code in expression.expressions]
        if not all(isinstance(code, str) for code in codes):
            raise QueryError(f"IN lists codes as text: {item} IN ('A', 'B')")
        return InSet(item, frozenset(str(code) for code in codes))

    def _between(self, expression: exp.Between) -> Filter:
        if not isinstance(expression.this, exp.Column):
            raise _refuse("BETWEEN on anything but an item")
        item = _column(expression.this)
        low = self.literal(expression.args["low"], item)
        high = self.literal(expression.args["high"], item)
        if isinstance(low, dt.date) and isinstance(high, dt.date):
            return DateRange(item, low, high)
        return And((Compare(item, ">=", low), Compare(item, "<=", high)))

    def _is(self, expression: exp.Is) -> Filter:
        if not isinstance(expression.this, exp.Column) or not isinstance(
            expression.expression, exp.Null
        ):
            raise _refuse("IS other than IS [NOT] NULL", "write item = TRUE or item IS NULL")
        return IsNull(_column(expression.this))

    def literal(self, expression: exp.Expr, item: str | None) -> Value:
        """A literal value; text compared with a date item is read as a date."""
        negative = isinstance(expression, exp.Neg)
        node = expression.this if negative else expression
        if isinstance(node, exp.Literal) and not node.is_string:
            number = _number(str(node.this))
            return -number if negative else number
        if negative:
            raise _refuse(f"{_describe(expression)} as a value")
        if isinstance(node, exp.Boolean):
            return bool(node.this)
        if isinstance(node, exp.Cast) and node.to.this == exp.DataType.Type.DATE:
            return _date(node.this)
        if isinstance(node, exp.Literal):
            if item is not None and self.dataset.item(item).type == "date":
                return _date(node)
            return str(node.this)
        if isinstance(node, exp.Null):
            raise _refuse("comparison with NULL", "write item IS NULL")
        _refuse_common(node)
        raise _refuse(f"{_describe(node)} as a value", "use a literal: text, number, TRUE, DATE")


def _count(expression: exp.Count) -> Count:
    argument = expression.this
    if isinstance(argument, exp.Star):
        return Count()
    if isinstance(argument, exp.Distinct) and len(argument.expressions) == 1:
        (only,) = argument.expressions
        if isinstance(only, exp.Column) and _column(only) == "pupil_token":
            return Count()
    raise _refuse(
        f"{expression.sql(DIALECT)}",
        "COUNT(*) or COUNT(DISTINCT pupil_token) count pupils; nothing else is counted",
    )


def _is_age_on(expression: exp.Expr) -> bool:
    return _function_name(expression) == "AGE_ON"


def _age_on_day(expression: exp.Expr) -> dt.date:
    arguments = expression.expressions
    if len(arguments) != 1:
        raise QueryError("AGE_ON takes one date: AGE_ON(DATE '2018-01-18')")
    (day,) = arguments
    if isinstance(day, exp.Cast) and day.to.this == exp.DataType.Type.DATE:
        return _date(day.this)
    if isinstance(day, exp.Literal) and day.is_string:
        return _date(day)
    raise QueryError("AGE_ON takes one date: AGE_ON(DATE '2018-01-18')")


def _function_name(expression: exp.Expr) -> str | None:
    if isinstance(expression, exp.Anonymous):
        return str(expression.name).upper()
    return None


def _refuse_common(expression: exp.Expr) -> None:
    """Name the constructs people most often try, wherever they appear."""
    if isinstance(expression, exp.Window):
        raise _refuse("window functions (OVER)")
    if isinstance(expression, exp.Subquery | exp.Select | exp.Exists):
        raise _refuse("subqueries")
    if isinstance(expression, exp.Alias):
        raise _refuse("aliases (AS)", "columns are named by the service")
    if isinstance(expression, exp.Star):
        raise _refuse("SELECT *", "no pupil-level rows leave the store: select aggregates")
    if isinstance(expression, exp.Placeholder):
        raise _refuse("parameters", "write the value itself")


def _describe(expression: exp.Expr) -> str:
    name = _function_name(expression)
    if name is not None:
        return f"function {name}"
    if isinstance(expression, exp.Func):
        return f"function {expression.sql_name()}"
    return expression.key.upper()


def _column(column: exp.Column) -> str:
    if column.table or column.args.get("db") or column.args.get("catalog"):
        raise _refuse("qualified column names", "write the item name alone")
    return _identifier(column.this)


def _identifier(identifier: exp.Expr) -> str:
    """Unquoted SQL names are case-insensitive; catalogue names are lower case."""
    if not isinstance(identifier, exp.Identifier):
        raise _refuse(f"{_describe(identifier)} as a name")
    return str(identifier.this) if identifier.quoted else str(identifier.this).lower()


def _number(text: str) -> int | float:
    try:
        return int(text)
    except ValueError:
        return float(text)


def _date(node: exp.Expr) -> dt.date:
    if not isinstance(node, exp.Literal) or not node.is_string:
        raise QueryError("a date is written DATE 'YYYY-MM-DD'")
    try:
        return dt.date.fromisoformat(str(node.this))
    except ValueError:
        raise QueryError(f"{node.this!r} is not a date (YYYY-MM-DD)") from None


def _refuse(construct: str, hint: str = "") -> QueryError:
    return QueryError(f"{construct} not allowed in a query", hint=hint)
