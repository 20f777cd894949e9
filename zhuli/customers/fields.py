"""The bigram array behind fast Chinese substring search (DESIGN §7): `text[]` with a GIN index on
PostgreSQL; on SQLite a plain text column nobody filters on (LIKE is right there)."""
from django.db import models
from django.db.models import Lookup


class BigramArrayField(models.Field):
    description = "character bigrams for substring search"

    def db_type(self, connection):
        return "text[]" if connection.vendor == "postgresql" else "text"

    def get_db_prep_value(self, value, connection, prepared=False):
        value = list(value or [])
        if connection.vendor == "postgresql":
            return value
        return " ".join(value)

    def from_db_value(self, value, expression, connection):
        if value is None:
            return []
        return value if isinstance(value, list) else value.split(" ")

    def to_python(self, value):
        if isinstance(value, str):
            return value.split(" ") if value else []
        return list(value or [])


@BigramArrayField.register_lookup
class ContainsAll(Lookup):
    """`search_bigrams__contains_all=[...]`: every query bigram present (PostgreSQL `@>`)."""

    lookup_name = "contains_all"

    def get_db_prep_lookup(self, value, connection):
        return ("%s", [list(value)])

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} @> {rhs}::text[]", [*lhs_params, *rhs_params]
