"""The S3 side: buckets and objects on the server of `scripts/dev-env` (s3s-fs), read with boto3.

The endpoint and credentials are the ones `scripts/dev-env env s3` exports (S3_ENDPOINT,
AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION); requests are path-style, as s3s-fs wants.
boto3 is imported here only, so the other scenarios and `bench/run doc` do not need it.
"""

from __future__ import annotations

import hashlib

from .devenv import env


def connection() -> dict:
    """What the sink's config and the baseline need to reach the server."""
    return {"endpoint": env("S3_ENDPOINT", "s3"), "region": env("AWS_REGION", "s3"),
            "key_id": env("AWS_ACCESS_KEY_ID", "s3"), "secret": env("AWS_SECRET_ACCESS_KEY", "s3")}


class Bucket:
    """Bucket administration and checks; never on the measured path."""

    def __init__(self):
        import boto3
        from botocore.config import Config

        c = connection()
        self.client = boto3.client(
            "s3", endpoint_url=c["endpoint"], region_name=c["region"],
            aws_access_key_id=c["key_id"], aws_secret_access_key=c["secret"],
            config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 3},
                          request_checksum_calculation="when_required",
                          response_checksum_validation="when_required"))
        # boto3 asks for URL-encoded keys in listings and decodes them; s3s-fs says it encoded
        # them but does not, so the `+` of the sink's keys would come back as spaces. Ask for
        # plain keys instead.
        from botocore.handlers import set_list_objects_encoding_type_url

        for op in ("ListObjects", "ListObjectsV2"):
            self.client.meta.events.unregister(f"before-parameter-build.s3.{op}",
                                               set_list_objects_encoding_type_url)

    def create(self, bucket: str):
        self.client.create_bucket(Bucket=bucket)
        self.client.head_bucket(Bucket=bucket)

    def objects(self, bucket: str) -> list[dict]:
        """Every object, as {Key, Size, LastModified}, in key order."""
        out: list[dict] = []
        kwargs = {"Bucket": bucket}
        while True:
            page = self.client.list_objects_v2(**kwargs)
            out += page.get("Contents", [])
            if not page.get("IsTruncated"):
                break
            kwargs["ContinuationToken"] = page["NextContinuationToken"]
        return sorted(out, key=lambda o: o["Key"])

    def sha256(self, bucket: str, keys: list[str]) -> str:
        """The SHA-256 of the objects' bytes, one after another."""
        h = hashlib.sha256()
        for k in keys:
            body = self.client.get_object(Bucket=bucket, Key=k)["Body"]
            for chunk in iter(lambda: body.read(1 << 20), b""):
                h.update(chunk)
        return h.hexdigest()

    def delete(self, bucket: str):
        """Deletes the bucket and every object in it (the server keeps them on disk)."""
        try:
            keys = [o["Key"] for o in self.objects(bucket)]
        except self.client.exceptions.NoSuchBucket:
            return
        for i in range(0, len(keys), 1000):
            self.client.delete_objects(Bucket=bucket, Delete={
                "Objects": [{"Key": k} for k in keys[i:i + 1000]], "Quiet": True})
        # Uploads a stopped sink left unfinished (s3s-fs cannot list them: NotImplemented).
        try:
            uploads = self.client.list_multipart_uploads(Bucket=bucket).get("Uploads", [])
        except self.client.exceptions.ClientError:
            uploads = []
        for u in uploads:
            self.client.abort_multipart_upload(Bucket=bucket, Key=u["Key"], UploadId=u["UploadId"])
        self.client.delete_bucket(Bucket=bucket)
