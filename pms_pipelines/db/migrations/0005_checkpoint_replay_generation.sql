-- 0005: how many times a shard's checkpoint was moved back for a replay.
--
-- Each lake line carries the generation its batch was read in. Compaction keeps one
-- handling per (shard, sequence number, event id, outcome, generation): a batch sent
-- again after a crash before its commit is read in the same generation and adds
-- nothing, while a replay's handlings (counted again by the consumer, like the first
-- ones) stay, so the day's `complete` check still matches the counts after a replay.
ALTER TABLE ingest.checkpoint ADD COLUMN replay_generation integer NOT NULL DEFAULT 0;
