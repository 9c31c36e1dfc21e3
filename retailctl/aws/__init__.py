"""Thin boto3 adapters (CloudFormation, S3 artifacts, Glue, SNS, CloudWatch): the only boto3 importers
besides ``retailctl.storage.s3``. Each takes an optional client (built lazily when omitted) and turns
botocore errors into retailctl errors, so nothing above this package knows botocore."""
