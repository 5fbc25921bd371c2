-- The re-check before posting (issue 13, item 4): just before a post is sent, its product page is fetched and read
-- again. Two facts of that check are kept on the post:
-- - recheck_after: the shop could not be reached (timeout, 5xx, refused connection), so the post waits, still
--   queued, until this time (the account's next slot) instead of going out unchecked; its reason is in last_error.
-- - recheck_dropped_at: the check found the deal over (price up, discount below the account's minimum, out of
--   stock, page gone), so the post was cancelled with the reason in last_error. The same deal is not written again
--   for the account until the offer is observed anew after that time (a harvest seeing it back in stock, say).
ALTER TABLE publications ADD COLUMN recheck_after timestamptz;
ALTER TABLE publications ADD COLUMN recheck_dropped_at timestamptz;
