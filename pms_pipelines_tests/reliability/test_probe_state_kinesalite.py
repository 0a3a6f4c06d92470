"""The sensor's remembered state on kinesalite, which expires iterators after 5 minutes
and closes shards as Kinesis does: an iterator Kinesis refuses as expired is replaced in
the same tick, and a reshard after the shard listing was remembered is noticed (the
parent's checkpoint ends), so children are read, after their parents, losing nothing."""

from __future__ import annotations

import base64
import time
from typing import Any

import pytest
from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from pms_pipelines.consumer.planning import shard_infos
from pms_pipelines.consumer.shard_probe import shards_to_consume
from pms_pipelines.db.connection import connect
from pms_pipelines.local_stack.aws_emulator import create_stream, wait_active
from pms_pipelines.stream.publisher import publish_records
from pms_pipelines.stream.reader import list_shards
from pms_pipelines.stream.records import OutgoingRecord
from pms_pipelines_tests.reliability.common import (
    T0,
    drain,
    expected_rows,
    lost_and_wrong,
    outgoing,
    table_rows,
    tenant_events,
)
from pms_pipelines_tests.reliability.kinesalite import kinesalite, kinesalite_url  # noqa: F401

pytestmark = pytest.mark.integration

# kinesalite's own iterator cipher (its db/index.js): an iterator is the issue time in ms,
# stream, shard and position, AES-256-CBC encrypted behind an 8-byte version header.
_KEY = bytes.fromhex("1133a5a833666b49abf28c8ba302930f0b2fb240dccd43cf4dfbc0ca91f17751")
_IV = bytes.fromhex("7bf139dbabbea2d9995d6fcae1dff7da")


def _issued_minutes_ago(iterator: str, minutes: int) -> str:
    """The same kinesalite iterator, as if issued `minutes` ago."""
    raw = base64.b64decode(iterator)
    cipher = Cipher(algorithms.AES(_KEY), modes.CBC(_IV))
    decryptor = cipher.decryptor()
    unpadder = padding.PKCS7(128).unpadder()
    plain = unpadder.update(decryptor.update(raw[8:]) + decryptor.finalize()) + \
        unpadder.finalize()
    pieces = plain.decode().split("/")
    pieces[0] = str(int(time.time() * 1000) - minutes * 60_000).zfill(14)
    padder = padding.PKCS7(128).padder()
    encryptor = cipher.encryptor()
    data = padder.update("/".join(pieces).encode()) + padder.finalize()
    return base64.b64encode(raw[:8] + encryptor.update(data) + encryptor.finalize()).decode()


def test_an_iterator_kinesis_refuses_as_expired_is_replaced(kinesalite: Any,  # noqa: F811
                                                            db_url: str) -> None:
    stream = "probe-expired"
    create_stream(stream, 1, timeout_s=20)
    calls: list[str] = []
    kinesalite.meta.events.register("before-call.kinesis",
                                    lambda model, **_: calls.append(model.name))
    with connect(db_url) as conn:
        assert shards_to_consume(kinesalite, conn, stream, set(), 16)[0] == []
        (iterator,) = conn.execute("SELECT iterator FROM ingest.shard_iterator").fetchone()
        conn.execute("UPDATE ingest.shard_iterator SET iterator = %s",
                     (_issued_minutes_ago(iterator, 6),))  # issued_at still says "fresh"
        conn.commit()
        publish_records(kinesalite, stream, [OutgoingRecord("k", b"{}")])
        (shard,) = list_shards(kinesalite, stream)
        calls.clear()
        assert shards_to_consume(kinesalite, conn, stream, set(), 16)[0] == [shard["ShardId"]]
        assert calls == ["GetRecords", "GetShardIterator", "GetRecords"]
        calls.clear()
        shards_to_consume(kinesalite, conn, stream, set(), 16)
        assert calls == ["GetRecords"]  # the replacement was remembered


def test_a_reshard_after_the_listing_was_remembered(kinesalite: Any,  # noqa: F811
                                                    db_url: str) -> None:
    stream = "probe-reshard"
    create_stream(stream, 1, timeout_s=20)
    phases = [tenant_events(200, versions=1, seed=s, start=T0.replace(hour=s))
              for s in range(3)]
    publish_records(kinesalite, stream, outgoing(phases[0]))
    drained = drain(kinesalite, db_url, stream, batch_limit=100)  # remembers 1 shard

    (parent,) = list_shards(kinesalite, stream)
    kinesalite.split_shard(StreamName=stream, ShardToSplit=parent["ShardId"],
                           NewStartingHashKey=str(2**127))
    wait_active(stream, timeout_s=20)
    publish_records(kinesalite, stream, outgoing(phases[1]))
    drain(kinesalite, db_url, stream, batch_limit=100, drained=drained)
    left, right = sorted((s for s in list_shards(kinesalite, stream)
                          if "EndingSequenceNumber" not in s["SequenceNumberRange"]),
                         key=lambda s: int(s["HashKeyRange"]["StartingHashKey"]))
    kinesalite.merge_shards(StreamName=stream, ShardToMerge=left["ShardId"],
                            AdjacentShardToMerge=right["ShardId"])
    wait_active(stream, timeout_s=20)
    publish_records(kinesalite, stream, outgoing(phases[2]))
    drain(kinesalite, db_url, stream, batch_limit=100, drained=drained)

    shards = shard_infos(list_shards(kinesalite, stream))
    assert len(shards) == 4
    with connect(db_url) as conn:
        remembered = {r[0] for r in conn.execute(
            "SELECT shard_id FROM ingest.shard_listing WHERE stream_name = %s", (stream,))}
    assert remembered == {s.shard_id for s in shards}
    events = [e for phase in phases for e in phase]
    assert lost_and_wrong(expected_rows(events), table_rows(db_url)) == (0, 0)
    ended_at = {shard: i for i, (shard, ended, _) in enumerate(drained.run_log) if ended}
    first_run: dict[str, int] = {}
    for i, (shard, _, _) in enumerate(drained.run_log):
        first_run.setdefault(shard, i)
    assert set(ended_at) == {s.shard_id for s in shards if s.closed}
    assert all(first_run[s.shard_id] > ended_at[p] for s in shards for p in s.parent_ids)
