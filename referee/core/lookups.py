"""`field__any_of=[values]`: membership in a list of values given as one array on PostgreSQL.

`field__in=[...]` writes one placeholder per value. For a page's 100 ids that cost Django about
a millisecond in building and normalising the lookup and psycopg another in splitting a query too
long for its cache, and PostgreSQL saw a statement whose text changed with the number of ids, so
it never kept a generic plan. `column = ANY(%s::type[])` has one parameter whatever the length
(docs/benchmarks.md, "Ninth pass"). Elsewhere (SQLite) it is `IN (%s, …)`. An empty list matches
nothing and runs no query, as `__in=[]` does."""

from django.core.exceptions import EmptyResultSet
from django.db.models import Field, ForeignObject, Lookup

# Columns whose database value of a Python int is that int (primary and foreign keys).
INTEGER_KEYS = {"AutoField", "BigAutoField", "SmallAutoField", "IntegerField", "BigIntegerField", "SmallIntegerField"}


class AnyOf(Lookup):
    lookup_name = "any_of"
    prepare_rhs = False

    def get_db_prep_lookup(self, value, connection):
        field = self.lhs.output_field
        if getattr(field, "target_field", field).get_internal_type() in INTEGER_KEYS and all(
                type(item) is int for item in value):
            # An integer column's value is the int itself: converting each one of the 350 pool
            # entries a page of profiles counts items for cost 0.25 ms (about a third of the lookup).
            return "%s", list(value)
        return "%s", [field.get_db_prep_value(item, connection, prepared=False) for item in value]

    def values(self, compiler, connection) -> tuple[str, list, list]:
        lhs_sql, lhs_params = self.process_lhs(compiler, connection)
        _, values = self.get_db_prep_lookup(self.rhs, connection)
        if not values:
            raise EmptyResultSet
        return lhs_sql, [*lhs_params], values

    def as_sql(self, compiler, connection):
        lhs_sql, params, values = self.values(compiler, connection)
        return f"{lhs_sql} IN ({', '.join(['%s'] * len(values))})", (*params, *values)

    def as_postgresql(self, compiler, connection):
        lhs_sql, params, values = self.values(compiler, connection)
        return f"{lhs_sql} = ANY(%s::{self.lhs.output_field.db_type(connection)}[])", (*params, values)


Field.register_lookup(AnyOf)
ForeignObject.register_lookup(AnyOf)  # a relation's lookups are its own, not Field's
