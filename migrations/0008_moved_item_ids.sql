-- Ids that survive a move between shards (README, "Adding shards"). An item's
-- public id is `local id * 1024 + shard`; a row copied to another shard gets a
-- new local id there and keeps the id its clients know in `public_id` (NULL
-- for rows native to their shard). A new nullable column: no row is
-- rewritten, and the partial index starts empty.
ALTER TABLE feed_items ADD COLUMN public_id INTEGER;
-- Finding a moved user's item by the id a client holds (mark-read, a cursor).
CREATE UNIQUE INDEX feed_items_user_public_id ON feed_items (user_id, public_id) WHERE public_id IS NOT NULL;
