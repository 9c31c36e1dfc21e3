"""One exception tree for retailctl, each class carrying the process exit code it maps to.

0 ok (row rejects are a data-quality outcome, not an error); 1 a file rejected whole, a job
failed or an invariant broken; 2 a usage or configuration error.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2


class RetailctlError(Exception):
    """Base of every error retailctl raises on purpose."""

    exit_code = EXIT_FAILED


class UsageError(RetailctlError):
    """The user asked for something that cannot be done as asked."""

    exit_code = EXIT_USAGE


class NotBuiltYet(UsageError):
    """A command of the contract that this version does not implement yet."""

    def __init__(self, command: str) -> None:
        super().__init__(f"'retailctl {command}' is not built yet in this version")


class ConfigError(UsageError):
    """A configuration file or value is invalid; names the file, the key and the problem."""

    def __init__(self, source: str, key: str, problem: str) -> None:
        self.source = source
        self.key = key
        self.problem = problem
        super().__init__(f"{source}: {key}: {problem}")


class EnvironmentProblem(UsageError):
    """The machine lacks something retailctl needs (for example a Java runtime for Spark)."""


class StorageError(RetailctlError):
    """An object store operation failed."""


class ObjectNotFound(StorageError):
    """The object does not exist (or no longer exists)."""

    def __init__(self, key: str) -> None:
        self.key = key
        super().__init__(f"no object at '{key}'")


class ObjectExists(StorageError):
    """Create-if-absent found the object already there."""

    def __init__(self, key: str) -> None:
        self.key = key
        super().__init__(f"object '{key}' already exists")


class UnsafeKey(StorageError):
    """A key that would escape the store root or is otherwise not a plain relative key."""

    exit_code = EXIT_USAGE

    def __init__(self, key: str, why: str) -> None:
        self.key = key
        super().__init__(f"refusing key {key!r}: {why}")


class FileRejected(RetailctlError):
    """A whole file was rejected (by validation or by a failed job)."""


class JobFailed(RetailctlError):
    """A Spark job failed; its output was rolled back."""


class InvariantBroken(RetailctlError):
    """A pipeline guarantee does not hold (rows lost, keys duplicated, files stuck)."""


class AwsError(RetailctlError):
    """An AWS call failed or AWS reported a failure (a stack rolled back, a service error)."""


class CompactionFailed(JobFailed):
    """Gold compaction failed and was rolled back; ``summary`` is the failed run summary."""

    def __init__(self, message: str, summary: dict[str, object]) -> None:
        self.summary = summary
        super().__init__(message)
