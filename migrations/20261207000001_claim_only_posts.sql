-- publications.claim_only: the post's discount is only the shop's claim (dealcast had no price history before the
-- reduction, so no real discount could be measured). Curated accounts with `filters.claimed = "review"` propose
-- such posts, worded as the shop's claim ("-50 % annoncé par la boutique"); the review queue marks them as
-- unverified, and an approval keeps that attribution. Kept on the post, not read from the offer, because the offer
-- may get a real discount later while the post's words stay the shop's claim.
ALTER TABLE publications ADD COLUMN claim_only boolean NOT NULL DEFAULT false;
