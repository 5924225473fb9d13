"""One-row ORM lookups compiled once per database connection, for the hot paths.

Django builds and compiles the SQL of every queryset anew: on this machine that
costs about 300 µs, some ten times the query itself. Status polls run the same
few lookups thousands of times a second, so these are compiled once per
connection and afterwards only executed. Rows go through the ORM's own
converters and ``Model.from_db``: callers get ordinary model instances, and the
SQL is exactly what the queryset would have run (query counting still sees it).
"""

from dataclasses import dataclass

from django.db import connections
from django.db.models.expressions import Col


@dataclass(frozen=True)
class _Compiled:
    sql: str
    params: tuple
    positions: tuple  # where each argument goes in params
    compiler: object
    converters: dict
    attnames: tuple


class PreparedLookup:
    """``PreparedLookup(lambda slug: Model.objects.filter(slug=slug)[:1]).first("x")``.

    ``build`` receives one placeholder per argument and must return a queryset of
    plain model rows (no select_related, annotations or ``__in`` lookups) whose
    arguments are strings compared as they are.
    """

    def __init__(self, build):
        self.build = build
        self.model = None

    def _compile(self, connection, count):
        markers = [f"teecam-prepared-parameter-{index}" for index in range(count)]
        queryset = self.build(*markers)
        self.model = queryset.model
        compiler = queryset.query.get_compiler(connection=connection)
        sql, params = compiler.as_sql()
        params = tuple(params)
        positions = tuple(params.index(marker) for marker in markers)
        columns = [selected[0] for selected in compiler.select[: compiler.col_count]]
        if not all(isinstance(column, Col) for column in columns):
            raise TypeError("PreparedLookup supports plain model columns only")
        return _Compiled(
            sql=sql,
            params=params,
            positions=positions,
            compiler=compiler,
            converters=compiler.get_converters(columns),
            attnames=tuple(column.target.attname for column in columns),
        )

    def first(self, *args, using="default"):
        """The first row as a model instance, or None."""
        connection = connections[using]
        # Kept on the connection wrapper (one per thread), and dropped with it.
        cache = connection.__dict__.setdefault("_teecam_prepared", {})
        compiled = cache.get(self)
        if compiled is None or len(compiled.positions) != len(args):
            compiled = cache[self] = self._compile(connection, len(args))
        params = list(compiled.params)
        for position, value in zip(compiled.positions, args):
            params[position] = value
        with connection.cursor() as cursor:
            cursor.execute(compiled.sql, params)
            row = cursor.fetchone()
        if row is None:
            return None
        if compiled.converters:
            row = next(iter(compiled.compiler.apply_converters([row], compiled.converters)))
        return self.model.from_db(using, compiled.attnames, row)
