"""A real S3-protocol server on loopback for tests: moto's server mode, on 127.0.0.1.

``S3Server`` starts it on a free port and holds a boto3 client for checking what landed.
Stopping and starting it again on the same port keeps its objects (moto keeps them in
this process), which is how a test takes the store down and brings it back.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import boto3
from moto.server import ThreadedMotoServer


class S3Server:
    def __init__(self, bucket: str) -> None:
        self.bucket = bucket
        self.server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        self.server.start()
        host, self.port = self.server.get_host_and_port()
        self.endpoint = f"http://{host}:{self.port}"
        self.client: Any = boto3.client(
            "s3", endpoint_url=self.endpoint, aws_access_key_id="testing",
            aws_secret_access_key="testing", region_name="us-east-1")
        self.client.create_bucket(Bucket=bucket)

    def env(self, tmp: Path) -> dict[str, str]:
        """The standard AWS variables a mockflow process needs to reach this server, and
        nothing from the user's own AWS configuration."""
        return {"AWS_ENDPOINT_URL": self.endpoint, "AWS_ACCESS_KEY_ID": "testing",
                "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1",
                "AWS_CONFIG_FILE": str(tmp / "no-aws-config"),
                "AWS_SHARED_CREDENTIALS_FILE": str(tmp / "no-aws-credentials")}

    def spec(self, prefix: str = "team") -> str:
        return f"s3://{self.bucket}/{prefix}"

    def keys(self) -> list[str]:
        pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket)
        return sorted(o["Key"] for page in pages for o in page.get("Contents", ()))

    def body(self, key: str) -> bytes:
        data: bytes = self.client.get_object(Bucket=self.bucket, Key=key)["Body"].read()
        return data

    def stop(self) -> None:
        self.server.stop()

    def restart(self) -> None:
        """The same server, its objects kept, back on the same port."""
        self.server = ThreadedMotoServer(ip_address="127.0.0.1", port=self.port, verbose=False)
        self.server.start()
