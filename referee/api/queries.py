"""Query expressions shared by the visibility rules of the list querysets."""

from django.db.models import BooleanField, F, Func


class InSubquery(Func):
    """`column IN (subquery)` that PostgreSQL can read from the column's index inside an OR.

    Written `column = ANY(ARRAY(subquery))`, the subquery runs once, before the scan, and its
    few values (the caller's own pool entries, profile, teams, ...) become an index condition, so
    `branch OR branch` is a BitmapOr of index scans. Plain `IN (subquery)` under an OR is a filter
    evaluated on every row of the table. Use it only for subqueries of a handful of rows (the
    values are compared one by one) and on columns of many distinct values: the planner guesses
    about ten values, which on a column of ten distinct calls would read as most of the table.
    SQLite keeps `IN (subquery)`."""

    output_field = BooleanField()
    arg_joiner = " IN "
    template = "(%(expressions)s)"

    def __init__(self, column: str, subquery, **extra):
        super().__init__(F(column), subquery.order_by(), **extra)  # a model's default order would sort it

    def as_sql(self, compiler, connection, arg_joiner=None, template=None, **extra):
        # Func would compile a subquery that can match nothing (`id__in=[]`) to NULL, giving
        # `column IN NULL` (`= ANY(ARRAYNULL)` here): let EmptyResultSet through instead, which
        # the WHERE clause reads as "matches nothing" (and drops from an OR).
        column, subquery = self.get_source_expressions()
        column_sql, column_params = compiler.compile(column)
        subquery_sql, subquery_params = compiler.compile(subquery)
        sql = (template or self.template) % {"expressions": f"{column_sql}{arg_joiner or self.arg_joiner}{subquery_sql}"}
        return sql, (*column_params, *subquery_params)

    def as_postgresql(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection, arg_joiner=" = ANY(ARRAY", template="(%(expressions)s))", **extra)
