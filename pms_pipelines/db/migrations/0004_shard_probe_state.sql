-- 0004: what the consumer sensor remembers between ticks, so a steady tick costs one
-- GetRecords per shard (no ListShards, no GetShardIterator). Only a cache: deleting
-- these rows costs calls, never correctness (see pms_pipelines/consumer/shard_probe.py).
--
-- shard_listing: the stream's shards as ListShards last gave them. Listed again when a
-- shard's checkpoint is ended while the listing has it open (a reshard: its children are
-- missing), and at the latest every few minutes.
CREATE TABLE ingest.shard_listing (
    stream_name       text        NOT NULL,
    shard_id          text        NOT NULL,
    parent_shard_ids  text[]      NOT NULL DEFAULT '{}',
    closed            boolean     NOT NULL DEFAULT false,
    listed_at         timestamptz NOT NULL,
    PRIMARY KEY (stream_name, shard_id)
);

-- shard_iterator: a shard iterator positioned right after after_sequence (NULL: at the
-- trim horizon), issued at issued_at (Kinesis expires it 5 minutes later). The sensor uses
-- it only while after_sequence equals the shard's checkpoint; the sensor's probes and the
-- consume runs (their last iterator when caught up) write it.
CREATE TABLE ingest.shard_iterator (
    stream_name     text        NOT NULL,
    shard_id        text        NOT NULL,
    after_sequence  text,
    iterator        text        NOT NULL,
    issued_at       timestamptz NOT NULL,
    PRIMARY KEY (stream_name, shard_id)
);
