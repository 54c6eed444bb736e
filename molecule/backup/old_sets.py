"""Put a month of old daily backup sets of one source into the store (what retention prunes in molecule/backup).

Usage: old_sets.py ENDPOINT BUCKET PREFIX SOURCE DAYS ACCESS_KEY SECRET_KEY
The sets are stand-ins (a manifest and one object each, from 2025-01-01 on); the oldest is marked verified.
Prints the set ids, oldest first, as JSON.
"""

import datetime
import json
import sys

import boto3

SET_ID_FORMAT = "%Y%m%dT%H%M%SZ"  # spooky.ops backup catalog (module_utils/backup/catalog.py)


def main(endpoint, bucket, prefix, source, days, access_key, secret_key):
    client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                          aws_access_key_id=access_key, aws_secret_access_key=secret_key)
    first = datetime.datetime(2025, 1, 1, 2, 0, tzinfo=datetime.timezone.utc)
    set_ids = [(first + datetime.timedelta(days=n)).strftime(SET_ID_FORMAT) for n in range(int(days))]
    for index, set_id in enumerate(set_ids):
        base = f"{prefix}/{source}/{set_id}/"
        client.put_object(Bucket=bucket, Key=base + "old.pgc.enc", Body=b"old")
        client.put_object(Bucket=bucket, Key=base + "manifest.json", Body=b"{}")
        if index == 0:
            client.put_object(Bucket=bucket, Key=base + "verified.json", Body=b"{}")
    print(json.dumps(set_ids))


if __name__ == "__main__":
    main(*sys.argv[1:])
