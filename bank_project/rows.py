"""Model instances from a hand-written SELECT, for the two statements every money movement
runs: authentication's session-and-user lookup and the ledger's account lock.

Compiling those two joins through the ORM cost half of a transfer's Python CPU, more than
running them (py-spy, docs/benchmarks.md). Here the joins are written by hand once, the
column lists come from the models' own metadata (a new or renamed field still arrives),
values pass through the same converters the ORM applies (SQLite's decimals and datetimes),
and the instances are wired to each other the way select_related would, so no later
attribute access costs a query.
"""

from django.db import connections


class Columns:
    """Every concrete column of `model`, selected under the table alias `alias`."""

    def __init__(self, model, alias: str):
        self.model, self.alias = model, alias
        self.fields = model._meta.concrete_fields
        self.attnames = [field.attname for field in self.fields]
        self.pk_index = self.fields.index(model._meta.pk)
        self._converters: dict[str, list] = {}  # per database vendor, found on first use

    def __len__(self) -> int:
        return len(self.fields)

    def sql(self, using: str = "default") -> str:
        quote = connections[using].ops.quote_name
        return ", ".join(f"{self.alias}.{quote(field.column)}" for field in self.fields)

    def table(self, using: str = "default") -> str:
        return f"{connections[using].ops.quote_name(self.model._meta.db_table)} {self.alias}"

    def converters(self, using: str) -> list:
        """(index, column, converters) of the columns whose values the ORM would convert."""
        connection = connections[using]
        if connection.vendor not in self._converters:
            found = []
            for index, field in enumerate(self.fields):
                column = field.get_col(self.alias)
                chain = connection.ops.get_db_converters(column) + column.get_db_converters(connection)
                if chain:
                    found.append((index, column, chain))
            self._converters[connection.vendor] = found
        return self._converters[connection.vendor]

    def load(self, row, start: int, using: str = "default"):
        """The instance whose columns start at `row[start]`; None when a LEFT JOIN found none."""
        values = list(row[start:start + len(self.fields)])
        if values[self.pk_index] is None:
            return None
        connection = connections[using]
        for index, column, chain in self.converters(using):
            for converter in chain:
                values[index] = converter(values[index], column, connection)
        return self.model.from_db(using, self.attnames, values)


def load_row(row, columns: list[Columns], using: str = "default") -> list:
    """One instance (or None) per `columns`, read left to right from `row`."""
    found, start = [], 0
    for each in columns:
        found.append(each.load(row, start, using))
        start += len(each)
    return found


def placeholders(count: int) -> str:
    """`%s, %s, ...`: one parameter marker per value."""
    return ", ".join(["%s"] * count)


def insert_values(instance, using: str = "default") -> tuple[str, str, list]:
    """(columns, placeholders, params) to INSERT `instance` by hand: every concrete column but
    the primary key, each value as the ORM would save it (defaults, auto_now_add)."""
    connection = connections[using]
    fields = [field for field in instance._meta.concrete_fields if not field.primary_key]
    columns = ", ".join(connection.ops.quote_name(field.column) for field in fields)
    params = [field.get_db_prep_save(field.pre_save(instance, add=True), connection) for field in fields]
    return columns, placeholders(len(fields)), params


def mark_saved(instance, pk, using: str = "default") -> None:
    """`instance` was inserted by hand with primary key `pk`: it is now a saved row."""
    instance.pk = pk
    instance._state.adding, instance._state.db = False, using


def cache_relation(instance, descriptor, value) -> None:
    """Remember `value` (None: there is none) as `instance`'s related object behind `descriptor`
    (e.g. User.customer, Customer.account, Account.customer), as select_related would: reading
    it later costs no query. Works for both sides of a one-to-one and for foreign keys."""
    if hasattr(descriptor, "related"):  # the reverse side of a one-to-one (User.customer)
        descriptor.related.set_cached_value(instance, value)
        if value is not None:
            descriptor.related.field.set_cached_value(value, instance)
    else:  # a foreign key or the forward side of a one-to-one (Session.user, Account.customer)
        descriptor.field.set_cached_value(instance, value)
        if value is not None and descriptor.field.one_to_one:
            descriptor.field.remote_field.set_cached_value(value, instance)
