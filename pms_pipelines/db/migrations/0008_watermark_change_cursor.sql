-- 0008: a vendor's own change marker beside the watermark.
--
-- PropertyMe filters changes by an int64 `Timestamp` whose unit its spec does not give;
-- the highest value a successful pull saw is the next pull's filter, so no clock
-- conversion is guessed (kit/cursor.py). Stored in the same transaction as the
-- watermark, only when the pull succeeded. NULL: none yet (the next pull reads all).
ALTER TABLE ingest.pull_watermark ADD COLUMN change_cursor text;
