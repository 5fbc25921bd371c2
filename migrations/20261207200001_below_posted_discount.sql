-- "Below the discount the post showed" as a reason a posted deal ended. A post says "-40 %"; when, at the
-- price it said, the deal's discount (measured as the post measured it: from the 30-day reference price, or the
-- shop's claim for a claim-only post) falls below what it printed, the post is expired like a price rise.
ALTER TABLE publications
    -- The discount the post showed, in percent: the real one, or the shop's claim for a claim-only post (NULL for
    -- posts written before it was kept: those are followed on their price alone).
    ADD COLUMN shown_discount_pct  numeric(7, 2),
    -- The discount the deal fell to (`below_posted_discount`; NULL when none was left).
    ADD COLUMN expiry_discount_pct numeric(7, 2);

ALTER TABLE publications DROP CONSTRAINT publications_expiry_reason_check;
ALTER TABLE publications ADD CONSTRAINT publications_expiry_reason_check
    CHECK (expiry_reason IN ('price_up', 'below_posted_discount', 'out_of_stock', 'gone'));
