-- 0002: what the consumer sent to the lake, counted per UTC day, entity, outcome and shard.
--
-- Written in the same transaction as the batch it counts (so a rolled-back batch counts
-- nothing), and read by the lake's completeness check: a compacted day must hold exactly
-- these events. The shard is part of the key so that concurrent runs (one per shard)
-- never wait on each other's row. `entity` is 'unknown' for a rejected record whose
-- bytes did not say which entity it was.
CREATE TABLE ingest.lake_handled_count (
    day                 date        NOT NULL,
    entity              text        NOT NULL,
    outcome             text        NOT NULL CHECK (outcome IN ('loaded', 'stale', 'rejected')),
    shard_id            text        NOT NULL,
    count               bigint      NOT NULL CHECK (count >= 0),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (day, entity, outcome, shard_id)
);
