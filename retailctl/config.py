"""The one configuration model: YAML files loaded once into frozen dataclasses.

Precedence for every value: command-line flag > ``RETAILCTL_*`` environment > file > built-in default.
The pipeline file is ``--config``, else ``$RETAILCTL_CONFIG``, else ``./config/pipeline.yaml`` when it
exists, else the copy shipped inside the package, so retailctl works from any directory with no config.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml

from retailctl.errors import ConfigError

Backend = Literal["local", "aws"]
ColumnType = Literal["string", "integer", "decimal", "timestamp"]

BACKENDS: tuple[str, ...] = ("local", "aws")
COLUMN_TYPES: tuple[str, ...] = ("string", "integer", "decimal", "timestamp")
PACKAGED = "<packaged default>"

ENVIRONMENT: dict[str, str] = {
    "RETAILCTL_BACKEND": "backend",
    "RETAILCTL_DATASET": "dataset",
    "RETAILCTL_LAKE": "local.lake_root",
    "RETAILCTL_BUCKET": "aws.bucket",
    "RETAILCTL_PREFIX": "aws.prefix",
    "RETAILCTL_REGION": "aws.region",
    "RETAILCTL_STACK_NAME": "aws.stack_name",
    "RETAILCTL_ALERT_EMAIL": "aws.alert_email",
    "RETAILCTL_SPARK_MASTER": "spark.master",
    "RETAILCTL_SPARK_DRIVER_MEMORY": "spark.driver_memory",
    "RETAILCTL_SPARK_SHUFFLE_PARTITIONS": "spark.shuffle_partitions",
    "RETAILCTL_SPARK_WARM": "spark.warm",
    "RETAILCTL_VALIDATION_HEAD_BYTES": "limits.validation_head_bytes",
    "RETAILCTL_GOLD_TARGET_FILE_MB": "limits.gold_target_file_mb",
    "RETAILCTL_GOLD_MAX_FILES_PER_DATE": "limits.gold_max_files_per_date",
}
"""Environment variables and the dotted config key each one sets."""


@dataclass(frozen=True)
class ColumnSpec:
    """One column of a dataset and the rules a raw value must pass."""

    name: str
    type: ColumnType
    required: bool = False
    max_length: int | None = None
    pattern: str | None = None
    min: float | None = None
    exclusive_min: float | None = None
    allowed: tuple[str, ...] = ()
    case_insensitive: bool = False
    normalize: Literal["lower", "upper"] | None = None
    precision: int = 12
    scale: int = 2

    @property
    def spark_type(self) -> str:
        """The Spark SQL type name silver stores this column as."""
        return {
            "string": "string",
            "integer": "int",
            "decimal": f"decimal({self.precision},{self.scale})",
            "timestamp": "timestamp",
        }[self.type]


@dataclass(frozen=True)
class DatasetSpec:
    """A dataset: its columns, dedup key, partitioning and gold table."""

    name: str
    columns: tuple[ColumnSpec, ...]
    dedup_key: str
    partition_column: str
    partition_name: str = "date"
    gold_table: str = "fact_sales"
    derived: tuple[tuple[str, str], ...] = ()
    source: str = PACKAGED

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @property
    def required_columns(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.required)

    def column(self, name: str) -> ColumnSpec:
        """The column called ``name``; KeyError when the dataset has none."""
        for spec in self.columns:
            if spec.name == name:
                return spec
        raise KeyError(name)


@dataclass(frozen=True)
class LocalSettings:
    lake_root: Path = Path("lake")


@dataclass(frozen=True)
class AwsSettings:
    bucket: str = "retail-sales-demo-s3"
    prefix: str = ""
    region: str = "us-east-1"
    stack_name: str = "retailctl"
    alert_email: str | None = None
    create_crawler: bool = False


@dataclass(frozen=True)
class SparkSettings:
    master: str = "local[*]"
    app_name: str = "retailctl"
    driver_memory: str = "2g"
    shuffle_partitions: int = 4
    conf: tuple[tuple[str, str], ...] = ()
    warm: bool = True
    """Use the warm JVM ``retailctl spark start`` keeps, when one with these JVM settings is running and free."""


@dataclass(frozen=True)
class Limits:
    validation_head_bytes: int = 65536
    gold_target_file_mb: int = 128
    gold_max_files_per_date: int = 4
    """An incremental run adds a date's new rows as a file beside its old ones while the date holds fewer files
    than this and none of its rows changed; otherwise it rewrites the date whole (1: always rewrite)."""


@dataclass(frozen=True)
class PipelineConfig:
    """Everything retailctl needs to know, validated once."""

    backend: Backend = "local"
    dataset: DatasetSpec = field(default_factory=lambda: load_dataset("fact_sales", None))
    local: LocalSettings = field(default_factory=LocalSettings)
    aws: AwsSettings = field(default_factory=AwsSettings)
    spark: SparkSettings = field(default_factory=SparkSettings)
    limits: Limits = field(default_factory=Limits)
    source: str = PACKAGED


def load_config(
    path: str | Path | None = None,
    overrides: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
) -> PipelineConfig:
    """Load the pipeline config. ``overrides`` are dotted keys from flags (``{"local.lake_root": "x"}``)."""
    environ = os.environ if environ is None else environ
    file_path = _pipeline_path(path, environ)
    raw, source = _read_yaml(file_path, "pipeline.yaml")
    for env_name, key in ENVIRONMENT.items():
        if environ.get(env_name) not in (None, ""):
            _set_dotted(raw, key, environ[env_name])
    for key, value in (overrides or {}).items():
        if value is not None:
            _set_dotted(raw, key, value)
    reader = _Reader(raw, source)
    config_dir = file_path.parent if file_path else None
    backend = reader.choice("backend", BACKENDS, "local")
    dataset_name = reader.text("dataset", "fact_sales")
    lake_root = Path(reader.text("local.lake_root", "./lake")).expanduser()
    config = PipelineConfig(
        backend=backend,  # type: ignore[arg-type]
        dataset=load_dataset(dataset_name, config_dir),
        local=LocalSettings(lake_root=lake_root),
        aws=AwsSettings(
            bucket=reader.text("aws.bucket", AwsSettings.bucket),
            prefix=reader.text("aws.prefix", "").strip("/"),
            region=reader.text("aws.region", AwsSettings.region),
            stack_name=reader.text("aws.stack_name", AwsSettings.stack_name),
            alert_email=reader.optional_text("aws.alert_email"),
            create_crawler=reader.boolean("aws.create_crawler", False),
        ),
        spark=SparkSettings(
            master=reader.text("spark.master", SparkSettings.master),
            app_name=reader.text("spark.app_name", SparkSettings.app_name),
            driver_memory=reader.text("spark.driver_memory", SparkSettings.driver_memory),
            shuffle_partitions=reader.integer("spark.shuffle_partitions", SparkSettings.shuffle_partitions, 1),
            conf=tuple(sorted((str(k), str(v)) for k, v in reader.mapping("spark.conf").items())),
            warm=reader.boolean("spark.warm", SparkSettings.warm),
        ),
        limits=Limits(
            validation_head_bytes=reader.integer("limits.validation_head_bytes", Limits.validation_head_bytes, 1024),
            gold_target_file_mb=reader.integer("limits.gold_target_file_mb", Limits.gold_target_file_mb, 1),
            gold_max_files_per_date=reader.integer("limits.gold_max_files_per_date", Limits.gold_max_files_per_date, 1),
        ),
        source=source,
    )
    reader.reject_unknown(
        {"backend", "dataset", "local", "aws", "spark", "limits"},
        {
            "local": {"lake_root"},
            "aws": {"bucket", "prefix", "region", "stack_name", "alert_email", "create_crawler"},
            "spark": {"master", "app_name", "driver_memory", "shuffle_partitions", "conf", "warm"},
            "limits": {"validation_head_bytes", "gold_target_file_mb", "gold_max_files_per_date"},
        },
    )
    return config


def load_dataset(name: str, config_dir: Path | None) -> DatasetSpec:
    """Load ``datasets/<name>.yaml`` beside the pipeline file, else the packaged one of that name."""
    if not re.fullmatch(r"[A-Za-z0-9_-]+", name):
        raise ConfigError("pipeline.yaml", "dataset", f"{name!r} is not a dataset name ([A-Za-z0-9_-]+)")
    local_file = config_dir / "datasets" / f"{name}.yaml" if config_dir else None
    if local_file and local_file.is_file():
        raw, source = _read_yaml(local_file, local_file.name)
    else:
        packaged = resources.files("retailctl") / "defaults" / "datasets" / f"{name}.yaml"
        if not packaged.is_file():
            raise ConfigError("pipeline.yaml", "dataset", f"no dataset file datasets/{name}.yaml")
        raw, source = yaml.safe_load(packaged.read_text(encoding="utf-8")) or {}, PACKAGED + f" datasets/{name}.yaml"
    return _parse_dataset(raw, source)


def _parse_dataset(raw: dict[str, Any], source: str) -> DatasetSpec:
    reader = _Reader(raw, source)
    raw_columns = raw.get("columns")
    if not isinstance(raw_columns, list) or not raw_columns:
        raise ConfigError(source, "columns", "must be a non-empty list of columns")
    columns = tuple(_parse_column(item, f"columns[{i}]", source) for i, item in enumerate(raw_columns))
    names = [c.name for c in columns]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ConfigError(source, "columns", f"duplicate column names: {', '.join(duplicates)}")
    dedup_key = reader.text("dedup_key", "")
    if dedup_key not in names:
        raise ConfigError(source, "dedup_key", f"{dedup_key!r} is not one of the columns")
    partition_column = reader.text("partition.column", "")
    if partition_column not in names or columns[names.index(partition_column)].type != "timestamp":
        raise ConfigError(source, "partition.column", f"{partition_column!r} must name a timestamp column")
    if not columns[names.index(partition_column)].required:
        raise ConfigError(source, "partition.column",
                          f"{partition_column!r} must be required: a row without it has no date to be stored under")
    derived = reader.mapping("gold.derived")
    reader.reject_unknown({"name", "dedup_key", "partition", "gold", "columns"}, {"partition": {"column", "name"}, "gold": {"table", "derived"}})
    return DatasetSpec(
        name=reader.text("name", ""),
        columns=columns,
        dedup_key=dedup_key,
        partition_column=partition_column,
        partition_name=reader.text("partition.name", "date"),
        gold_table=reader.text("gold.table", "fact_sales"),
        derived=tuple((str(k), str(v)) for k, v in derived.items()),
        source=source,
    )


_COLUMN_KEYS = {
    "name", "type", "required", "max_length", "pattern", "min", "exclusive_min",
    "allowed", "case_insensitive", "normalize", "precision", "scale",
}


def _parse_column(item: Any, where: str, source: str) -> ColumnSpec:
    if not isinstance(item, dict):
        raise ConfigError(source, where, "must be a mapping with at least name and type")
    unknown = sorted(set(item) - _COLUMN_KEYS)
    if unknown:
        raise ConfigError(source, f"{where}.{unknown[0]}", f"unknown key (known: {', '.join(sorted(_COLUMN_KEYS))})")
    name = item.get("name")
    if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
        raise ConfigError(source, f"{where}.name", f"{name!r} is not a column name ([A-Za-z_][A-Za-z0-9_]*)")
    where = f"columns.{name}"
    column_type = item.get("type")
    if column_type not in COLUMN_TYPES:
        raise ConfigError(source, f"{where}.type", f"{column_type!r} is not one of {', '.join(COLUMN_TYPES)}")
    pattern = item.get("pattern")
    if pattern is not None:
        try:
            re.compile(pattern)
        except (re.error, TypeError) as exc:
            raise ConfigError(source, f"{where}.pattern", f"not a regular expression: {exc}") from exc
    normalize = item.get("normalize")
    if normalize not in (None, "lower", "upper"):
        raise ConfigError(source, f"{where}.normalize", "must be lower or upper")
    allowed = item.get("allowed") or []
    if not isinstance(allowed, list):
        raise ConfigError(source, f"{where}.allowed", "must be a list of values")
    numbers: dict[str, int | float | None] = {}
    for key in ("max_length", "min", "exclusive_min", "precision", "scale"):
        value = item.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
            raise ConfigError(source, f"{where}.{key}", f"must be a number, not {value!r}")
        numbers[key] = value
    return ColumnSpec(
        name=name,
        type=column_type,
        required=bool(item.get("required", False)),
        max_length=None if numbers["max_length"] is None else int(numbers["max_length"]),
        pattern=pattern,
        min=numbers["min"],
        exclusive_min=numbers["exclusive_min"],
        allowed=tuple(str(v) for v in allowed),
        case_insensitive=bool(item.get("case_insensitive", False)),
        normalize=normalize,
        precision=int(numbers["precision"] or 12),
        scale=int(numbers["scale"] if numbers["scale"] is not None else 2),
    )


def _pipeline_path(path: str | Path | None, environ: Mapping[str, str]) -> Path | None:
    chosen = path or environ.get("RETAILCTL_CONFIG")
    if chosen:
        chosen_path = Path(chosen).expanduser()
        if not chosen_path.is_file():
            raise ConfigError(str(chosen_path), "(file)", "no such config file")
        return chosen_path
    default = Path("config") / "pipeline.yaml"
    return default if default.is_file() else None


def _read_yaml(path: Path | None, label: str) -> tuple[dict[str, Any], str]:
    if path is None:
        text = (resources.files("retailctl") / "defaults" / "pipeline.yaml").read_text(encoding="utf-8")
        source = PACKAGED + f" {label}"
    else:
        text = path.read_text(encoding="utf-8")
        source = str(path)
    try:
        loaded = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(source, "(file)", f"not valid YAML: {exc}") from exc
    if loaded is None:
        return {}, source
    if not isinstance(loaded, dict):
        raise ConfigError(source, "(file)", "must be a YAML mapping at the top level")
    return loaded, source


def _set_dotted(raw: dict[str, Any], dotted: str, value: Any) -> None:
    node = raw
    *parents, leaf = dotted.split(".")
    for part in parents:
        child = node.get(part)
        if not isinstance(child, dict):
            child = {}
            node[part] = child
        node = child
    node[leaf] = value


class _Reader:
    """Typed access to a parsed YAML mapping that names the file and key in every error."""

    def __init__(self, raw: dict[str, Any], source: str) -> None:
        self.raw = raw
        self.source = source

    def _get(self, dotted: str) -> Any:
        node: Any = self.raw
        for part in dotted.split("."):
            if not isinstance(node, dict) or part not in node:
                return None
            node = node[part]
        return node

    def _fail(self, key: str, problem: str) -> ConfigError:
        return ConfigError(self.source, key, problem)

    def text(self, key: str, default: str) -> str:
        value = self._get(key)
        if value is None:
            return default
        if isinstance(value, dict | list):
            raise self._fail(key, f"must be a single value, not {value!r}")
        return str(value)

    def optional_text(self, key: str) -> str | None:
        value = self._get(key)
        return None if value in (None, "") else self.text(key, "")

    def choice(self, key: str, choices: tuple[str, ...], default: str) -> str:
        value = self.text(key, default)
        if value not in choices:
            raise self._fail(key, f"{value!r} is not one of {', '.join(choices)}")
        return value

    def integer(self, key: str, default: int, minimum: int) -> int:
        value = self._get(key)
        if value is None:
            return default
        try:
            number = int(str(value))
        except ValueError:
            raise self._fail(key, f"must be a whole number, not {value!r}") from None
        if number < minimum:
            raise self._fail(key, f"must be at least {minimum}, not {number}")
        return number

    def boolean(self, key: str, default: bool) -> bool:
        value = self._get(key)
        if value is None:
            return default
        if isinstance(value, bool):
            return value
        lowered = str(value).strip().lower()
        if lowered in ("1", "true", "yes", "on"):
            return True
        if lowered in ("0", "false", "no", "off"):
            return False
        raise self._fail(key, f"must be true or false, not {value!r}")

    def mapping(self, key: str) -> dict[str, Any]:
        value = self._get(key)
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise self._fail(key, "must be a mapping")
        return value

    def reject_unknown(self, top: set[str], nested: dict[str, set[str]]) -> None:
        for key in self.raw:
            if key not in top:
                raise self._fail(str(key), f"unknown key (known: {', '.join(sorted(top))})")
        for section, allowed in nested.items():
            for key in self.mapping(section):
                if key not in allowed:
                    raise self._fail(f"{section}.{key}", f"unknown key (known: {', '.join(sorted(allowed))})")
