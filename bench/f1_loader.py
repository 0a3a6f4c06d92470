"""Figure 1, the loader: events/s that the consumer's database step applies.

Ours: `apply_batch` over batches of stream records (decode and validate each event,
upsert under the version rule, replace links, advance the checkpoint, commit), the
consumer's database step exactly. Baseline, same run, same rows: per table one `COPY`
of the already-flattened rows into a temp table and one set-based
`INSERT … ON CONFLICT DO UPDATE` (links: `ON CONFLICT DO NOTHING`), nothing else.
"""

from __future__ import annotations


import psycopg

from bench.common import Figure, Sizes, Stack, Timer, bench_records
from pms_pipelines.consumer.batch import apply_batch
from pms_pipelines.consumer.decode import decode_event
from pms_pipelines.db.rows import ENVELOPE_COLUMNS, LAYOUTS, envelope_values
from pms_pipelines.stream.records import StreamRecord

SHARD = "shardId-000000000000"
BASE_SEQUENCE = 49590338271490256608559692538361571095921575989136588800


def _stream_records(n: int) -> list[StreamRecord]:
    return [StreamRecord(SHARD, str(BASE_SEQUENCE + i), r.partition_key, r.data)
            for i, r in enumerate(bench_records(n), start=1)]


def ours(url: str, records: list[StreamRecord], batch_limit: int) -> float:
    with psycopg.connect(url) as conn, Timer() as timer:
        expected = None
        for start in range(0, len(records), batch_limit):
            result = apply_batch(conn, stream="bench", shard_id=SHARD,
                                 records=records[start:start + batch_limit],
                                 expected_checkpoint=expected)
            expected = result.checkpoint
    return timer.seconds


def baseline_rows(records: list[StreamRecord]) -> dict[str, tuple[list[str], list[tuple]]]:
    """Per table (and link table): its columns and the rows, ready to COPY (not timed)."""
    tables: dict[str, tuple[list[str], list[tuple]]] = {}
    for record in records:
        event = decode_event(record.data)
        layout = LAYOUTS[event.entity]
        columns = [name for name, _ in (*ENVELOPE_COLUMNS, *layout.columns)]
        _, rows = tables.setdefault(layout.table, (columns, []))
        rows.append((*envelope_values(event), *layout.flatten(event.data).values()))
        if layout.link is not None:
            link = layout.link
            _, links = tables.setdefault(
                link.table, (["source", "agency_id", link.owner_column, link.member_column,
                              "position", *(name for name, _ in link.detail_columns)], []))
            links.extend((event.source, event.agency_id, event.source_id, member, position,
                          *detail)
                         for position, (member, *detail) in enumerate(link.members(event.data)))
    return tables


def baseline(url: str, tables: dict[str, tuple[list[str], list[tuple]]]) -> float:
    link_tables = {layout.link.table for layout in LAYOUTS.values() if layout.link}
    with psycopg.connect(url) as conn, Timer() as timer:
        with conn.transaction():
            for table, (columns, rows) in tables.items():
                temp = "bench_" + table.replace(".", "_")
                cols = ", ".join(columns)
                conn.execute(f"CREATE TEMP TABLE {temp} ON COMMIT DROP AS "
                             f"SELECT {cols} FROM {table} WITH NO DATA")
                with conn.cursor().copy(f"COPY {temp} ({cols}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
                if table in link_tables:
                    conflict = "DO NOTHING"
                else:
                    updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in columns
                                        if c not in ("source", "agency_id", "source_id"))
                    conflict = (f"(source, agency_id, source_id) DO UPDATE SET {updates} "
                                f"WHERE t.version < EXCLUDED.version")
                conn.execute(f"INSERT INTO {table} AS t ({cols}) SELECT {cols} FROM {temp} "
                             f"ON CONFLICT {conflict}")
    return timer.seconds


def run(stack: Stack, sizes: Sizes) -> Figure:
    n = sizes.loader_events
    records = _stream_records(n)
    tables = baseline_rows(records)
    base_s = baseline(stack.new_database("f1base"), tables)
    ours_s = ours(stack.new_database("f1ours"), records, sizes.batch_limit)
    return Figure(
        "1", "loader: events/s applied (validate, upsert, checkpoint)", n / ours_s, "ev/s",
        baseline=n / base_s, baseline_name="COPY + INSERT … ON CONFLICT",
        target="≥ 0.8", target_value=0.8,
        details={"events": n, "batch_limit": sizes.batch_limit, "ours_s": ours_s,
                 "baseline_s": base_s},
    )


