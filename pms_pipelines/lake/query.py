"""SQL over the lake on a laptop: `python -m pms_pipelines.lake.query "SQL"`.

DuckDB could read S3 itself through its httpfs extension, but that is downloaded on
first use and the local stack has no internet; so the lake's Parquet is copied from S3
(boto3, which honours `AWS_ENDPOINT_URL`: the local stack's moto) into a temporary
directory and queried there. Views: one per entity, and `handled` (all four).

    python -m pms_pipelines.lake.query "SELECT count(*) FROM tenancy"
    python -m pms_pipelines.lake.query --example tenancy_history \\
        --param source=buildium --param agency=acme-lettings --param source_id=123
    python -m pms_pipelines.lake.query --list-examples
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, TextIO

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from pms_pipelines.aws import aws_client
from pms_pipelines.canonical.model import ENTITIES
from pms_pipelines.lake.compact import LAKE_PREFIX
from pms_pipelines.lake.examples import EXAMPLES, Example
from pms_pipelines.lake.schema import LAKE_SCHEMA

LAKE_BUCKET_ENV = "PMS_LAKE_BUCKET"
LOCAL_BUCKET = "pms-lake-local"
MAX_CELL = 40


def download_lake(s3: Any, bucket: str, target: Path) -> int:
    """Copy every Parquet file under `lake/` into `target`, keeping the key layout."""
    copied = 0
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=f"{LAKE_PREFIX}/"):
        for item in page.get("Contents", []):
            if not item["Key"].endswith(".parquet"):
                continue
            path = target / item["Key"]
            path.parent.mkdir(parents=True, exist_ok=True)
            s3.download_file(bucket, item["Key"], str(path))
            copied += 1
    return copied


def open_lake(directory: Path) -> duckdb.DuckDBPyConnection:
    """DuckDB with one view per entity over `directory/lake/<entity>/dt=*/`, and `handled`."""
    con = duckdb.connect()
    for entity in ENTITIES:
        folder = directory / LAKE_PREFIX / entity
        if not any(folder.glob("dt=*/*.parquet")):
            # An entity with no day yet still gets its (empty) view, so queries run.
            empty = folder / "dt=0000-00-00" / "empty.parquet"
            empty.parent.mkdir(parents=True, exist_ok=True)
            pq.write_table(pa.Table.from_pylist([], schema=LAKE_SCHEMA), empty)
        pattern = str(folder / "dt=*" / "*.parquet").replace("'", "''")
        con.execute(
            f"CREATE VIEW {entity} AS SELECT * FROM read_parquet('{pattern}', "
            "hive_partitioning = true, hive_types = {'dt': VARCHAR})"
        )
    con.execute("CREATE VIEW handled AS " + " UNION ALL ".join(
        f"SELECT * FROM {entity}" for entity in ENTITIES))
    return con


def run_query(
    con: duckdb.DuckDBPyConnection, sql: str, params: Mapping[str, str] | None = None
) -> tuple[list[str], list[tuple[Any, ...]]]:
    relation = con.execute(sql, dict(params) if params else None)
    columns = [d[0] for d in relation.description or []]
    return columns, relation.fetchall()


def example_params(
    con: duckdb.DuckDBPyConnection, example: Example, given: Mapping[str, str]
) -> dict[str, str] | None:
    """The example's parameters: given ones, else the pick query's; None if none fit."""
    params = {**example.defaults, **given}
    missing = [name for name in example.params if name not in params]
    if missing and example.pick:
        _, rows = run_query(con, example.pick)
        if not rows:
            return None
        params = {**dict(zip(example.params, map(str, rows[0]), strict=True)), **params}
    return {name: params[name] for name in example.params}


def format_table(columns: Sequence[str], rows: Sequence[tuple[Any, ...]]) -> str:
    cells = [[_cell(v) for v in row] for row in rows]
    widths = [max([len(c), *(len(r[i]) for r in cells)]) for i, c in enumerate(columns)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)),
             "  ".join("-" * w for w in widths)]
    lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in cells]
    lines.append(f"({len(rows)} row{'s' if len(rows) != 1 else ''})")
    return "\n".join(lines)


def run_example(
    con: duckdb.DuckDBPyConnection, name: str, given: Mapping[str, str], out: TextIO
) -> None:
    example = EXAMPLES[name]
    out.write(f"-- {name}: {example.question}\n")
    params = example_params(con, example, given)
    if params is None:
        out.write("(the lake holds nothing to ask this about yet)\n")
        return
    if params:
        out.write("-- " + ", ".join(f"{k}={v}" for k, v in params.items()) + "\n")
    out.write(format_table(*run_query(con, example.sql, params)) + "\n")


def main(argv: Sequence[str] | None = None, out: TextIO = sys.stdout) -> int:
    parser = argparse.ArgumentParser(prog="python -m pms_pipelines.lake.query",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("sql", nargs="?", help="SQL over the views property, landlord, "
                        "tenant, tenancy and handled")
    parser.add_argument("--example", action="append", choices=sorted(EXAMPLES),
                        help="run a documented example query (repeatable)")
    parser.add_argument("--param", action="append", default=[], metavar="NAME=VALUE")
    parser.add_argument("--list-examples", action="store_true")
    parser.add_argument("--bucket", default=os.environ.get(LAKE_BUCKET_ENV, LOCAL_BUCKET))
    args = parser.parse_args(argv)
    if args.list_examples:
        for name, example in EXAMPLES.items():
            out.write(f"{name}: {example.question}\n")
        return 0
    if not args.sql and not args.example:
        parser.error("give SQL or --example NAME")
    params = dict(p.split("=", 1) for p in args.param)
    with tempfile.TemporaryDirectory(prefix="pms-lake-") as directory:
        copied = download_lake(aws_client("s3"), args.bucket, Path(directory))
        out.write(f"-- {copied} Parquet file(s) from s3://{args.bucket}/{LAKE_PREFIX}/\n")
        con = open_lake(Path(directory))
        try:
            for name in args.example or []:
                run_example(con, name, params, out)
            if args.sql:
                out.write(format_table(*run_query(con, args.sql, params or None)) + "\n")
        except duckdb.Error as error:
            out.write(f"query failed: {error}\n")
            return 1
        finally:
            con.close()
    return 0


def _cell(value: Any) -> str:
    text = "NULL" if value is None else str(value)
    return text if len(text) <= MAX_CELL else text[: MAX_CELL - 1] + "…"


if __name__ == "__main__":
    sys.exit(main())
