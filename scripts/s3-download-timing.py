#!/usr/bin/env python3
"""Times downloads of one S3 object with the transfer engine `aws s3 cp` runs (s3transfer through
boto3, its defaults: 8 MiB parts, 10 at a time), inside one process, so the figure is the transfer
and not the Python start-up every `aws` command pays first. Each download is fsync'd, as
`takevault fetch` does. Prints one line: the seconds of each pass, space-separated.

Usage: s3-download-timing.py ENDPOINT BUCKET KEY OUT PASSES   (credentials: AWS_ACCESS_KEY_ID,
AWS_SECRET_ACCESS_KEY in the environment)
"""
import os
import sys
import time

import boto3


def main() -> None:
    endpoint, bucket, key, out, passes = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])
    client = boto3.client("s3", endpoint_url=endpoint, region_name="eu-west-1")
    client.head_object(Bucket=bucket, Key=key)   # connection set up before the clock starts
    seconds = []
    for _ in range(passes):
        start = time.monotonic()
        client.download_file(bucket, key, out)
        descriptor = os.open(out, os.O_RDONLY)
        os.fsync(descriptor)
        os.close(descriptor)
        seconds.append(time.monotonic() - start)
        os.unlink(out)
    print(" ".join(f"{value:.6f}" for value in seconds))


if __name__ == "__main__":
    main()
