"""Restricted SQL: everything outside the subset is refused, naming the construct."""

from __future__ import annotations

import pytest

from safepupil.errors import QueryError
from safepupil.query.sql import MAX_SQL_CHARS, parse_sql
from safepupil.store.catalogue import Catalogue

T = "ap_census_2018"

REFUSALS = [
    ("join", f"SELECT COUNT(*) FROM {T} a JOIN school_census_2018 b ON a.la = b.la", "JOIN"),
    ("comma join", f"SELECT COUNT(*) FROM {T}, school_census_2018", "JOIN"),
    ("subquery in FROM", f"SELECT COUNT(*) FROM (SELECT * FROM {T})", "subqueries"),
    (
        "subquery in WHERE",
        f"SELECT COUNT(*) FROM {T} WHERE sex IN (SELECT sex FROM {T})",
        "subqueries",
    ),
    ("exists", f"SELECT COUNT(*) FROM {T} WHERE EXISTS (SELECT 1)", "subqueries"),
    ("scalar subquery", f"SELECT COUNT(*) FROM {T} WHERE year = (SELECT 2018)", "subqueries"),
    (
        "cte",
        f"WITH x AS (SELECT * FROM {T}) SELECT COUNT(*) FROM x",
        "WITH (common table expressions)",
    ),
    ("union", f"SELECT COUNT(*) FROM {T} UNION SELECT COUNT(*) FROM {T}", "UNION"),
    ("except", f"SELECT COUNT(*) FROM {T} EXCEPT SELECT COUNT(*) FROM {T}", "EXCEPT"),
    ("select star", f"SELECT * FROM {T}", "SELECT *"),
    ("ungrouped column", f"SELECT sex, COUNT(*) FROM {T}", "selecting sex without GROUP BY"),
    (
        "grouped but not selected",
        f"SELECT COUNT(*) FROM {T} GROUP BY sex",
        "grouping by sex without selecting it",
    ),
    ("row-level select", f"SELECT sex, la FROM {T}", "a row-level SELECT"),
    ("row-level select grouped", f"SELECT sex FROM {T} GROUP BY sex", "a row-level SELECT"),
    ("unsupported function", f"SELECT la, MAX(year) FROM {T} GROUP BY la", "function MAX"),
    ("unknown function", f"SELECT COUNT(*) FROM {T} WHERE my_udf(sex) = 1", "function MY_UDF"),
    ("function in where", f"SELECT COUNT(*) FROM {T} WHERE lower(sex) = 'f'", "function LOWER"),
    (
        "read a file",
        "SELECT COUNT(*) FROM read_csv('/etc/passwd')",
        "FROM anything but a dataset name",
    ),
    ("qualified table", f"SELECT COUNT(*) FROM main.{T}", "qualified table names"),
    ("table alias", f"SELECT COUNT(*) FROM {T} AS a", "table aliases"),
    ("qualified column", f"SELECT COUNT(*) FROM {T} WHERE {T}.sex = 'F'", "qualified column names"),
    ("limit", f"SELECT COUNT(*) FROM {T} LIMIT 5", "LIMIT"),
    ("order by", f"SELECT la, COUNT(*) FROM {T} GROUP BY la ORDER BY la", "ORDER BY"),
    ("having", f"SELECT la, COUNT(*) FROM {T} GROUP BY la HAVING COUNT(*) < 5", "HAVING"),
    ("distinct select", f"SELECT DISTINCT la, COUNT(*) FROM {T} GROUP BY la", "SELECT DISTINCT"),
    ("window function", f"SELECT COUNT(*) OVER () FROM {T}", "window functions"),
    (
        "qualify",
        f"SELECT la, COUNT(*) FROM {T} GROUP BY la QUALIFY row_number() OVER () = 1",
        "QUALIFY",
    ),
    ("rollup", f"SELECT la, COUNT(*) FROM {T} GROUP BY ROLLUP (la)", "ROLLUP"),
    ("group by all", f"SELECT la, COUNT(*) FROM {T} GROUP BY ALL", "GROUP BY ALL"),
    ("group by position", f"SELECT la, COUNT(*) FROM {T} GROUP BY 1", "GROUP BY 1"),
    (
        "two statements",
        f"SELECT COUNT(*) FROM {T}; SELECT COUNT(*) FROM {T}",
        "more than one statement",
    ),
    ("statement after a comment", f"SELECT COUNT(*) FROM {T} /* x */; DROP TABLE {T}", "comments"),
    ("line comment", f"SELECT COUNT(*) FROM {T} -- just counting", "comments"),
    ("comment hiding text", f"SELECT COUNT(*) /* FROM school_census_2018 */ FROM {T}", "comments"),
    ("drop", f"DROP TABLE {T}", "DROP statements"),
    ("insert", f"INSERT INTO {T} VALUES (1)", "INSERT statements"),
    ("copy out", f"COPY {T} TO '/tmp/out.csv'", "statements not allowed"),
    ("pragma", "PRAGMA database_list", "statements not allowed"),
    ("alias", f"SELECT COUNT(*) AS n FROM {T}", "aliases (AS)"),
    ("count of an item", f"SELECT COUNT(sex) FROM {T}", "COUNT(sex)"),
    ("count distinct of an item", f"SELECT COUNT(DISTINCT la) FROM {T}", "COUNT(DISTINCT la)"),
    ("sum of an expression", f"SELECT SUM(year + 1) FROM {T}", "SUM of anything but an item"),
    ("average of distinct", f"SELECT AVG(DISTINCT year) FROM {T}", "AVG of anything but an item"),
    (
        "is true",
        f"SELECT COUNT(*) FROM {T} WHERE placement_reason_withheld IS TRUE",
        "IS other than IS [NOT] NULL",
    ),
    ("equals null", f"SELECT COUNT(*) FROM {T} WHERE sex = NULL", "comparison with NULL"),
    ("parameter", f"SELECT COUNT(*) FROM {T} WHERE sex = ?", "parameters"),
    ("item against item", f"SELECT COUNT(*) FROM {T} WHERE la = placement_la", "COLUMN as a value"),
    ("like", f"SELECT COUNT(*) FROM {T} WHERE sex LIKE 'F%'", "LIKE in a condition"),
    (
        "arithmetic",
        f"SELECT COUNT(*) FROM {T} WHERE year + 1 = 2019",
        "a comparison without an item",
    ),
    (
        "token in where",
        f"SELECT COUNT(*) FROM {T} WHERE pupil_token = 'ab'",
        "pupil_token in dataset",
    ),
    (
        "token as a dimension",
        f"SELECT pupil_token, COUNT(*) FROM {T} GROUP BY pupil_token",
        "pupil_token in dataset",
    ),
    ("unknown dataset", "SELECT COUNT(*) FROM ap_census", "did you mean ap_census_2018"),
    ("no from", "SELECT COUNT(*)", "FROM anything but a dataset name"),
    ("unfinished string", f"SELECT COUNT(*) FROM {T} WHERE sex = 'F", "cannot read the SQL"),
    ("not sql", "please count the pupils", "cannot read the SQL"),
    (
        "in list of numbers",
        f"SELECT COUNT(*) FROM {T} WHERE year IN (2018)",
        "IN lists codes as text",
    ),
    (
        "age_on with two arguments",
        f"SELECT COUNT(*) FROM {T} WHERE AGE_ON('2018-01-18', 1) > 3",
        "AGE_ON takes one date",
    ),
    (
        "bad date",
        f"SELECT COUNT(*) FROM {T} WHERE placement_start > DATE '2018-02-30'",
        "not a date",
    ),
]


@pytest.mark.parametrize(
    ("sql", "construct"), [r[1:] for r in REFUSALS], ids=[r[0] for r in REFUSALS]
)
def test_refused_with_the_construct_named(catalogue: Catalogue, sql: str, construct: str) -> None:
    with pytest.raises(QueryError) as refused:
        parse_sql(sql, catalogue)
    assert construct in str(refused.value)


def test_overlong_text_is_refused(catalogue: Catalogue) -> None:
    with pytest.raises(QueryError, match="at most"):
        parse_sql(
            f"SELECT COUNT(*) FROM {T} WHERE " + " OR ".join(["sex = 'F'"] * MAX_SQL_CHARS),
            catalogue,
        )


def test_a_trailing_semicolon_is_one_statement(catalogue: Catalogue) -> None:
    assert parse_sql(f"SELECT COUNT(*) FROM {T};", catalogue).dataset == T


def test_deep_nesting_is_refused_not_crashed(catalogue: Catalogue) -> None:
    deep = "NOT " * 3000 + "sex = 'F'"
    with pytest.raises(QueryError, match="nested"):
        parse_sql(f"SELECT COUNT(*) FROM {T} WHERE {deep}", catalogue)
