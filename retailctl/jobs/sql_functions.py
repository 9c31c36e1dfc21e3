"""retailctl's own SQL functions: Java classes in the packaged jar (``jvm/src``, ``make jar``), registered on a session.

Silver checks every typed value's text with them (see :mod:`retailctl.jobs.silver`); its runner registers them
(0.05-0.1 s in a fresh JVM, so commands that do not run silver do not). A local session has the jar on its
class path; the silver Glue job gets it from ``--extra-jars`` (the deploy uploads it).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from retailctl.errors import EnvironmentProblem

if TYPE_CHECKING:
    from pyspark.sql import Column, SparkSession


@dataclass(frozen=True)
class SqlFunction:
    """A Java UDF by its SQL name, class and result type (``boolean`` or ``bigint``)."""

    name: str
    java_class: str
    result: str

    def __call__(self, *arguments: Column) -> Column:
        from pyspark.sql import functions as F

        return F.call_udf(self.name, *arguments)


_FORMATS = "retailctl.sql.TextFormats"

WHOLE_NUMBER = SqlFunction("retailctl_whole_number", f"{_FORMATS}$WholeNumber", "boolean")
"""``(text)``: true for ``[+-]?[0-9]+``."""

PLAIN_DECIMAL = SqlFunction("retailctl_plain_decimal", f"{_FORMATS}$PlainDecimal", "boolean")
"""``(text, scale)``: true for ``[+-]?([0-9]+(\\.[0-9]{0,scale})?|\\.[0-9]{1,scale})``."""

ISO_TIMESTAMP_MICROS = SqlFunction("retailctl_iso_timestamp_micros", f"{_FORMATS}$IsoTimestamp", "bigint")
"""``(text)``: microseconds since the epoch of ``YYYY-MM-DD[T ]HH:MM[:SS[.f]][Z|±HH[[:]MM]]`` (UTC without a
zone; an offset of at most 18:00), NULL when the text is not one or names an impossible time."""

FUNCTIONS = (WHOLE_NUMBER, PLAIN_DECIMAL, ISO_TIMESTAMP_MICROS)


def register(spark: SparkSession) -> None:
    """Register :data:`FUNCTIONS` on ``spark``; EnvironmentProblem when the jar is not on its class path."""
    from pyspark.errors import AnalysisException
    from pyspark.sql.types import BooleanType, LongType

    results = {"boolean": BooleanType(), "bigint": LongType()}
    for function in FUNCTIONS:
        try:
            spark.udf.registerJavaFunction(function.name, function.java_class, results[function.result])
        except AnalysisException as exc:
            raise EnvironmentProblem(
                f"Spark cannot load {function.java_class} from retailctl's jar: on Glue, pass the jar the deploy "
                f"uploads as --extra-jars; elsewhere add retailctl/jars/retailctl.jar to the class path ({exc})"
            ) from exc
