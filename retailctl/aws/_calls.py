"""Building clients and translating botocore failures into retailctl errors, shared by the adapters."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    NoCredentialsError,
    NoRegionError,
    PartialCredentialsError,
)

from retailctl.errors import AwsError, EnvironmentProblem, RetailctlError

CREDENTIAL_CODES = frozenset({
    "AccessDenied",
    "AccessDeniedException",
    "ExpiredToken",
    "ExpiredTokenException",
    "InvalidClientTokenId",
    "InvalidAccessKeyId",
    "SignatureDoesNotMatch",
    "UnrecognizedClientException",
})
"""Error codes that mean the caller's credentials are missing, stale or lack a permission."""

NO_CREDENTIALS = (
    "no AWS credentials found: set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY "
    "(or run on a machine with a role); 'retailctl deploy --dry-run' needs none"
)


def make_client(service: str, region: str | None) -> Any:
    """A boto3 client for ``service`` in ``region`` (the default region chain when None)."""
    import boto3  # a quarter of a second: only commands that call AWS pay it

    with aws_call(f"create a {service} client"):
        return boto3.session.Session().client(service, region_name=region)  # type: ignore[call-overload]


def error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def translate(exc: Exception, action: str) -> RetailctlError:
    """The retailctl error for a botocore failure while doing ``action``."""
    if isinstance(exc, NoCredentialsError | PartialCredentialsError):
        return EnvironmentProblem(f"cannot {action}: {NO_CREDENTIALS}")
    if isinstance(exc, NoRegionError):
        return EnvironmentProblem(f"cannot {action}: no AWS region (set aws.region or RETAILCTL_REGION)")
    if isinstance(exc, ClientError):
        code = error_code(exc)
        message = exc.response.get("Error", {}).get("Message", "") or str(exc)
        if code in CREDENTIAL_CODES:
            return EnvironmentProblem(f"cannot {action}: {code}: {message} (check the AWS credentials and their permissions)")
        return AwsError(f"cannot {action}: {code}: {message}")
    return AwsError(f"cannot {action}: {exc}")


@contextmanager
def aws_call(action: str) -> Iterator[None]:
    """Run AWS calls, re-raising any botocore failure as the matching retailctl error."""
    try:
        yield
    except (ClientError, BotoCoreError) as exc:
        raise translate(exc, action) from exc


def require_credentials(region: str | None) -> None:
    """Fail with a clear exit-2 error when no AWS credentials can be found, before any API call."""
    import boto3

    if boto3.session.Session(region_name=region).get_credentials() is None:
        raise EnvironmentProblem(NO_CREDENTIALS)
