"""Reading the raw Firehose objects of a day: lines of handled events, whatever the layout.

Firehose names objects by the time it wrote them. With a plain prefix (the local stack's
`raw/`, and moto, which ignores prefix expressions) that is `raw/YYYY/MM/DD/HH/<name>`;
the Terraform stream uses `raw/dt=YYYY-MM-DD/<name>`. Both are listed, so one reader
serves both. Objects may be GZIP (production) or plain (moto ignores compression).
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

_GZIP_MAGIC = b"\x1f\x8b"


@dataclass
class RawLines:
    """What reading a set of raw objects found."""

    lines: list[dict[str, Any]]
    objects: int = 0
    unreadable: int = 0  # lines that are not a JSON object: not ours, or cut short


def day_prefixes(prefix: str, day: date) -> list[str]:
    """The key prefixes Firehose may have written `day`'s objects under."""
    base = prefix if prefix.endswith("/") or not prefix else prefix + "/"
    return [f"{base}{day:%Y/%m/%d}/", f"{base}dt={day.isoformat()}/"]


def list_day_objects(s3: Any, bucket: str, prefix: str, day: date) -> list[str]:
    keys: list[str] = []
    paginator = s3.get_paginator("list_objects_v2")
    for day_prefix in day_prefixes(prefix, day):
        for page in paginator.paginate(Bucket=bucket, Prefix=day_prefix):
            keys.extend(item["Key"] for item in page.get("Contents", []))
    return sorted(keys)


def read_raw_lines(s3: Any, bucket: str, keys: list[str]) -> RawLines:
    found = RawLines(lines=[])
    for key in keys:
        body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        found.objects += 1
        for line in split_lines(body):
            try:
                document = json.loads(line)
            except (ValueError, RecursionError):
                found.unreadable += 1
                continue
            if isinstance(document, dict):
                found.lines.append(document)
            else:
                found.unreadable += 1
    return found


def split_lines(body: bytes) -> Iterator[bytes]:
    """The records of one object: Firehose joins them with nothing between, so each of
    ours ends with a newline; gzip.decompress also reads concatenated GZIP members."""
    if body.startswith(_GZIP_MAGIC):
        body = gzip.decompress(body)
    for line in body.split(b"\n"):
        if line.strip():
            yield line
