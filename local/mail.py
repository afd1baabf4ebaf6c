"""Deliver an e-mail to the centre on the running local stack, as SES receipt would (into the mail bucket):

    python -m local.mail FILE.eml

The answer is printed by the stack and appended to `.local/sent-messages.jsonl`.
"""

from __future__ import annotations

import argparse
import os
import uuid
from pathlib import Path

import boto3

from chalicelib.resources import MAIL_PREFIX
from local.stage import stage_environment


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("file", type=Path, help="a raw RFC 5322 message (.eml)")
    parser.add_argument("--moto-port", type=int, default=int(os.environ.get("MOTO_PORT", "5001")))
    args = parser.parse_args()
    env = stage_environment()
    s3 = boto3.client("s3", endpoint_url=f"http://127.0.0.1:{args.moto_port}", region_name=env["AWS_DEFAULT_REGION"])
    key = f"{MAIL_PREFIX}{uuid.uuid4().hex}"
    s3.put_object(Bucket=env["MAIL_INBOUND_BUCKET"], Key=key, Body=args.file.read_bytes())
    print(f"delivered {args.file} as {key}")


if __name__ == "__main__":
    main()
