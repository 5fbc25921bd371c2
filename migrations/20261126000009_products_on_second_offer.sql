-- Products are created when a GTIN is found on a second offer (another shop, or another page of the same shop), not
-- for every GTIN seen: most GTINs are sold by one shop, and a products row per new offer (its two indexes and the
-- offer's foreign-key check) was a third of the cost of storing a new offer, for a link to nothing.
-- Until then the offer keeps its GTIN and no product; this index finds such offers when the second one arrives.
CREATE INDEX offers_unlinked_by_gtin ON offers (gtin) WHERE gtin IS NOT NULL AND product_id IS NULL;

COMMENT ON TABLE products IS
    'The identity of one product across offers, by GTIN-14: created when a second offer has the GTIN.';
