-- 0003: when the last record of a shard's checkpoint arrived in Kinesis.
--
-- Written in the batch transaction that advances the checkpoint. The consumer compares
-- it with the stream's retention: a checkpoint whose last record arrived before the
-- trim horizon may have had records after it trimmed unread, and the consumer stops
-- with CheckpointExpired instead of silently skipping them (see docs/reliability.md for
-- the re-sync). NULL: not known yet, or a gap an operator acknowledged after a re-sync.
ALTER TABLE ingest.checkpoint ADD COLUMN last_arrival_at timestamptz;
