"""Send the centre an SMS on the running local stack, as AWS End User Messaging's two-way SMS would:

    python -m local.sms --from 13800138000 "投诉 某超市卖过期牛奶"

The reply (and every later notice) is printed by the stack and appended to `.local/sent-messages.jsonl`.
"""

from __future__ import annotations

import argparse
import json
import os
import uuid

import boto3

from local.stage import stage_environment


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--from", dest="sender", required=True, help="the sender's mobile number")
    parser.add_argument("text", help="the message, e.g. 投诉 …, 查询 <code>, TD, 1, 2 <reason>")
    parser.add_argument("--moto-port", type=int, default=int(os.environ.get("MOTO_PORT", "5001")))
    args = parser.parse_args()
    env = stage_environment()
    number = args.sender if args.sender.startswith("+") else f"+86{args.sender}"
    payload = {
        "originationNumber": number,
        "destinationNumber": "+8612315",
        "messageKeyword": args.text.split()[0] if args.text.split() else "",
        "messageBody": args.text,
        "inboundMessageId": str(uuid.uuid4()),
        "previousPublishedMessageId": "",
    }
    sns = boto3.client("sns", endpoint_url=f"http://127.0.0.1:{args.moto_port}", region_name=env["AWS_DEFAULT_REGION"])
    sns.publish(TopicArn=env["SMS_INBOUND_TOPIC_ARN"], Message=json.dumps(payload, ensure_ascii=False))
    print(f"sent from {number}: {args.text}")


if __name__ == "__main__":
    main()
