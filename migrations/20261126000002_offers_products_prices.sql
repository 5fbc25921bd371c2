-- What the scrapers found: products across shops, offers per shop, and the price history of each offer.

-- products: the identity of one product across shops, by GTIN (EAN/UPC). GTIN-8/12/13 are stored as their
-- 14-digit GTIN-14 form (left-padded with zeros), check digit verified before insertion.
CREATE TABLE products (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    gtin       text NOT NULL UNIQUE CHECK (gtin ~ '^[0-9]{14}$'),
    name       text,
    brand      text,
    created_at timestamptz NOT NULL DEFAULT now()
);

-- offers: one row per (shop, canonical URL): a product page, a promo code or a site-wide sale. Variants and URLs that
-- differ only by tracking parameters collapse onto one row. The current price is here; its history is in
-- price_observations. Money is exact (numeric) with an ISO 4217 currency code.
CREATE TABLE offers (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    shop_id          text NOT NULL REFERENCES shops (id) ON DELETE CASCADE,
    canonical_url    text NOT NULL,
    -- The URL as last found on the shop (with whatever parameters the shop needs).
    url              text NOT NULL,
    kind             text NOT NULL DEFAULT 'product' CHECK (kind IN ('product', 'promo_code', 'sale')),
    title            text NOT NULL,
    brand            text,
    category         text,
    image_url        text,
    sku              text,
    gtin             text CHECK (gtin ~ '^[0-9]{14}$'),
    product_id       bigint REFERENCES products (id) ON DELETE SET NULL,
    currency         char(3) CHECK (currency ~ '^[A-Z]{3}$'),
    price            numeric(14, 4) CHECK (price >= 0),
    -- The "was" price the shop claims (crossed-out price); judged against the price history, never trusted.
    previous_price   numeric(14, 4) CHECK (previous_price >= 0),
    availability     text CHECK (availability IN ('in_stock', 'out_of_stock', 'preorder', 'limited', 'unknown')),
    -- Promotions without a price: the code to type, the shop's own wording ("jusqu'à -50 %").
    promo_code       text,
    promo_text       text,
    starts_at        timestamptz,
    ends_at          timestamptz,
    language         text,
    first_seen_at    timestamptz NOT NULL DEFAULT now(),
    last_seen_at     timestamptz NOT NULL DEFAULT now(),
    last_run_id      bigint REFERENCES scrape_runs (id) ON DELETE SET NULL,
    -- Successful runs of the shop in a row that did not see this offer; at the shop's threshold it becomes inactive.
    missed_runs      integer NOT NULL DEFAULT 0 CHECK (missed_runs >= 0),
    active           boolean NOT NULL DEFAULT true,
    ended_at         timestamptz,
    UNIQUE (shop_id, canonical_url),
    CHECK (price IS NULL OR currency IS NOT NULL),
    CHECK (last_seen_at >= first_seen_at)
);

CREATE INDEX offers_active_by_shop ON offers (shop_id) WHERE active;
CREATE INDEX offers_by_product ON offers (product_id) WHERE product_id IS NOT NULL;

-- price_observations: the price history of each offer. A row is written when the price, the claimed previous price
-- or the availability changes (not at every visit), so the lowest price of any 30-day window can be computed: the
-- reference the EU rule on announced reductions requires.
CREATE TABLE price_observations (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    offer_id       bigint NOT NULL REFERENCES offers (id) ON DELETE CASCADE,
    observed_at    timestamptz NOT NULL,
    currency       char(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    price          numeric(14, 4) NOT NULL CHECK (price >= 0),
    previous_price numeric(14, 4) CHECK (previous_price >= 0),
    availability   text CHECK (availability IN ('in_stock', 'out_of_stock', 'preorder', 'limited', 'unknown')),
    run_id         bigint REFERENCES scrape_runs (id) ON DELETE SET NULL,
    UNIQUE (offer_id, observed_at)
);
