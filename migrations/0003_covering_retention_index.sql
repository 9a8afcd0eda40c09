-- Retention reads the keys of expired rows (id, owner, read state) in big
-- chunks, oldest first by (created_at, id). With the owner and read state in
-- the index too, that read never visits the table. Replaces the index of the
-- same name (same leading columns).
DROP INDEX feed_items_type_created;
CREATE INDEX feed_items_type_created ON feed_items (activity_type, created_at, id, is_read, user_id);
