-- 0006: the event id a pull last published for each key of its snapshot.
--
-- A pull does not publish an event whose id (a hash of the key and the content) is the
-- one it last published for that key: an unchanged record costs nothing downstream.
-- NULL: nothing published yet (a record only ever rejected), so the next event goes out.
ALTER TABLE ingest.pull_snapshot ADD COLUMN event_id text;
