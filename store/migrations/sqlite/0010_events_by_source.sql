-- Followers of one event source (the monitor tails the decision point's
-- events every few seconds) read new events by source and time. Without
-- this index such a read walked every event of the source through the
-- (source, raw_id) uniqueness index and sorted them: a cost that grew with
-- the event log.

CREATE INDEX events_source_time ON events (source, time, id);
