"""The code artifacts a deploy ships: the validator Lambda zip, the Glue library zip and jar, and the Glue scripts.

Zips are byte-for-byte reproducible (sorted entries, fixed timestamps), and the artifact version is
derived from their content, so an unchanged code base uploads nothing and leaves the stack unchanged.
"""

from __future__ import annotations

import hashlib
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

import retailctl
from retailctl import __version__, layout
from retailctl.aws._calls import aws_call, error_code, make_client, translate
from retailctl.config import PACKAGED, DatasetSpec
from retailctl.errors import AwsError, EnvironmentProblem
from retailctl.storage import ObjectStore
from retailctl.storage.s3 import S3Store

LAMBDA_ZIP = "validator-lambda.zip"
GLUE_LIBRARY_ZIP = "retailctl-glue-lib.zip"
GLUE_JAR = "retailctl/jars/retailctl.jar"
SILVER_SCRIPT = "glue_scripts/silver_job.py"
GOLD_SCRIPT = "glue_scripts/gold_compaction_job.py"
LAMBDA_HANDLER = "lambda/handler.py"

PACKAGE_SUFFIXES = (".py", ".yaml", ".yml", ".json")
EXCLUDED_SUBPACKAGES = ("cli",)
"""Left out of both zips: the CLI needs typer and rich, which neither Lambda nor Glue has."""

_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


@dataclass(frozen=True)
class Artifact:
    """One built file and its content hash."""

    name: str
    path: Path
    size: int
    sha256: str

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "path": str(self.path), "size": self.size, "sha256": self.sha256}


@dataclass(frozen=True)
class ArtifactBundle:
    """Everything one deploy uploads, under ``artifacts/<version>/``."""

    version: str
    lambda_zip: Artifact
    glue_library: Artifact
    glue_jar: Artifact
    silver_script: Artifact
    gold_script: Artifact

    @property
    def artifacts(self) -> tuple[Artifact, ...]:
        return (self.lambda_zip, self.glue_library, self.glue_jar, self.silver_script, self.gold_script)

    def key(self, artifact: Artifact) -> str:
        """The artifact's key relative to the artifact store (which adds the prefix)."""
        return layout.artifact_key(self.version, artifact.name)

    def to_dict(self) -> dict[str, Any]:
        return {"version": self.version, "artifacts": [a.to_dict() | {"key": self.key(a)} for a in self.artifacts]}


def source_root() -> Path:
    """The checkout that holds ``lambda/`` and ``glue_scripts/`` beside the ``retailctl`` package."""
    return Path(retailctl.__file__).resolve().parent.parent


def build_artifacts(out_dir: Path, dataset: DatasetSpec, root: Path | None = None) -> ArtifactBundle:
    """Build the Lambda zip and the Glue library zip into ``out_dir`` and hash the Glue scripts and the jar."""
    root = root or source_root()
    missing = [name for name in (LAMBDA_HANDLER, SILVER_SCRIPT, GOLD_SCRIPT, GLUE_JAR) if not (root / name).is_file()]
    if missing:
        raise EnvironmentProblem(
            f"deploy needs the retailctl source tree; missing under {root}: {', '.join(missing)}"
        )
    out_dir.mkdir(parents=True, exist_ok=True)
    package_files = list(_package_files(root / "retailctl", dataset))
    library_files = package_files + list(_pure_yaml_files())
    lambda_zip = _write_zip(out_dir / LAMBDA_ZIP, [("handler.py", (root / LAMBDA_HANDLER).read_bytes()), *library_files])
    glue_library = _write_zip(out_dir / GLUE_LIBRARY_ZIP, library_files)
    silver = _describe(SILVER_SCRIPT, root / SILVER_SCRIPT)
    gold = _describe(GOLD_SCRIPT, root / GOLD_SCRIPT)
    jar = _describe(Path(GLUE_JAR).name, root / GLUE_JAR)
    combined = hashlib.sha256("".join(a.sha256 for a in (lambda_zip, glue_library, jar, silver, gold)).encode())
    return ArtifactBundle(f"{__version__}-{combined.hexdigest()[:12]}", lambda_zip, glue_library, jar, silver, gold)


def artifact_store(bucket: str, prefix: str = "", *, region: str | None = None, client: Any = None) -> S3Store:
    """The store artifacts are uploaded to: ``s3://<bucket>/<prefix>/``."""
    return S3Store(bucket, prefix=prefix, region=region, client=client)


def upload_artifacts(bundle: ArtifactBundle, store: ObjectStore) -> list[str]:
    """Upload every artifact not already in ``store`` (keys are content-versioned); returns the names uploaded."""
    uploaded: list[str] = []
    for artifact in bundle.artifacts:
        key = bundle.key(artifact)
        if not store.exists(key):
            store.upload(key, artifact.path)
            uploaded.append(artifact.name)
    return uploaded


def ensure_artifact_bucket(bucket: str, *, region: str | None = None, client: Any = None) -> bool:
    """Create the artifact bucket (private, encrypted) unless it exists; True when it was created."""
    client = client or make_client("s3", region)
    try:
        client.head_bucket(Bucket=bucket)
        return False
    except (ClientError, BotoCoreError) as exc:
        code = error_code(exc) if isinstance(exc, ClientError) else ""
        if code == "403":
            raise AwsError(f"artifact bucket {bucket} exists but is not yours to use; choose another with --artifact-bucket") from exc
        if code not in ("404", "NoSuchBucket", "NotFound"):
            raise translate(exc, f"check artifact bucket {bucket}") from exc
    with aws_call(f"create artifact bucket {bucket}"):
        location = {} if region in (None, "us-east-1") else {"CreateBucketConfiguration": {"LocationConstraint": region}}
        client.create_bucket(Bucket=bucket, **location)
        client.put_public_access_block(
            Bucket=bucket,
            PublicAccessBlockConfiguration={
                "BlockPublicAcls": True,
                "IgnorePublicAcls": True,
                "BlockPublicPolicy": True,
                "RestrictPublicBuckets": True,
            },
        )
        client.put_bucket_encryption(
            Bucket=bucket,
            ServerSideEncryptionConfiguration={"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]},
        )
    return True


def full_key(store: S3Store, key: str) -> str:
    """The bucket key (prefix included) of ``key``, as the stack parameters need it."""
    return store.uri(key).removeprefix(f"s3://{store.bucket}/")


def _package_files(package_dir: Path, dataset: DatasetSpec) -> Iterator[tuple[str, bytes]]:
    """The retailctl package as (zip path, bytes), with the deployed dataset's YAML as a packaged one."""
    dataset_entry = f"retailctl/defaults/datasets/{dataset.name}.yaml"
    custom_dataset = None if dataset.source.startswith(PACKAGED) else Path(dataset.source)
    for path in sorted(package_dir.rglob("*")):
        relative = path.relative_to(package_dir)
        if not path.is_file() or path.suffix not in PACKAGE_SUFFIXES or "__pycache__" in relative.parts:
            continue
        if relative.parts[0] in EXCLUDED_SUBPACKAGES:
            continue
        entry = f"retailctl/{relative.as_posix()}"
        if entry == dataset_entry and custom_dataset is not None:
            continue
        yield entry, path.read_bytes()
    if custom_dataset is not None:
        yield dataset_entry, custom_dataset.read_bytes()


def _pure_yaml_files() -> Iterator[tuple[str, bytes]]:
    """PyYAML's pure-Python modules (its C extension is built for this machine, not for Lambda)."""
    import yaml

    yaml_dir = Path(yaml.__file__).resolve().parent
    for path in sorted(yaml_dir.glob("*.py")):
        yield f"yaml/{path.name}", path.read_bytes()


def _write_zip(target: Path, entries: Iterable[tuple[str, bytes]]) -> Artifact:
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name, data in sorted(entries):
            info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
    return _describe(target.name, target)


def _describe(name: str, path: Path) -> Artifact:
    data = path.read_bytes()
    return Artifact(name, path, len(data), hashlib.sha256(data).hexdigest())
