-- Cheap harvests: what a crawl remembers of each page between runs, where each price observation came from, and
-- how many requests each run cost.

-- crawl_pages: one row per page of a shop that a crawl fetched successfully (by canonical URL). The next crawl sends
-- the page's validators (a 304 then costs no parsing), skips a product page whose sitemap <lastmod> has not moved,
-- and knows which offers a page gave, so an unchanged page keeps its offers alive without being read again.
CREATE TABLE crawl_pages (
    shop_id         text NOT NULL REFERENCES shops (id) ON DELETE CASCADE,
    url             text NOT NULL,
    role            text NOT NULL CHECK (role IN ('listing', 'product')),
    -- The validators of the last 200 answer, as received.
    etag            text,
    last_modified   text,
    -- The sitemap's <lastmod> for the page when it was last read (product pages found in sitemaps).
    sitemap_lastmod timestamptz,
    -- The last successful visit (a 200 read, or a 304).
    visited_at      timestamptz NOT NULL,
    -- Product pages: the last time the page itself was read (200 or 304), not only its listing card.
    read_at         timestamptz,
    -- The canonical URLs of the offers the page gave at its last read (a listing page: its readable cards).
    offer_urls      text[] NOT NULL DEFAULT '{}',
    -- Listing pages: the pagination links and product links found on it, followed again after a 304.
    next_pages      text[] NOT NULL DEFAULT '{}',
    product_links   text[] NOT NULL DEFAULT '{}',
    -- Product pages: whether the listing card showed the same price and previous price as the page when both were
    -- last read together (NULL: never compared). A card that disagreed is never trusted alone.
    card_agrees     boolean,
    PRIMARY KEY (shop_id, url)
);

-- Where each observation came from: the product page, a listing card, a platform API or feed, or the re-check
-- made just before a post. The 30-day judge uses them all alike.
ALTER TABLE price_observations
    ADD COLUMN source text NOT NULL DEFAULT 'page' CHECK (source IN ('page', 'listing', 'api', 'feed', 'recheck'));

-- What each run's requests were: pages fetched (200), 304 answers, pages skipped by sitemap lastmod, listing
-- observations, and product pages fetched by reason (new, details, refresh, card_unreadable, card_disagreed,
-- sitemap).
ALTER TABLE scrape_runs ADD COLUMN requests jsonb NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(requests) = 'object');
