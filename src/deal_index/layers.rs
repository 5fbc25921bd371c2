//! The lists of one generation as two layers: a base snapshot built at some earlier generation, less the offers
//! changed since (their positions hidden), plus an overlay snapshot of those offers as they are now. A page is the
//! base's page and the overlay's merged in list order.
//!
//! It exists so that catching up with a harvest costs what the harvest changed: rebuilding sorts every offer again and
//! rebuilds every set, while an overlay costs only the shop's few thousand changes, and PostgreSQL answers the lists
//! only while the changed rows are read. Once the changes since the base reach [`REBUILD_SHARE`] of it, the catch-up
//! builds a new base instead.

use std::collections::HashMap;
use std::sync::Arc;

use roaring::RoaringBitmap;
use rust_decimal::Decimal;

use super::search_terms::SearchTerms;
use super::snapshot::Snapshot;
use super::source::IndexSource;
use crate::store::deal_queries::DealFilter;

/// One offer in this many changed since the base makes the next catch-up rebuild the base (a larger overlay would
/// make every page cost more than a rebuild saves).
pub(super) const REBUILD_SHARE: usize = 20;

/// The lists of one generation.
#[derive(Debug)]
pub struct Lists {
    base: Arc<Snapshot>,
    /// The positions in `base` of the offers changed (or gone) since it was built.
    hidden: RoaringBitmap,
    /// The changed offers that are deals now (none: nothing changed since the base).
    overlay: Option<Snapshot>,
}

impl Lists {
    /// Lists that are `base` alone.
    pub(super) fn whole(base: Arc<Snapshot>) -> Lists {
        Lists { base, hidden: RoaringBitmap::new(), overlay: None }
    }

    /// `base` (built from `source` as it was) with the offers `changed` since (each with its score in `base`, or
    /// `None` when it was not there) taken from `source` as it is now.
    pub(super) fn over(base: Arc<Snapshot>, source: &IndexSource, changed: &HashMap<i64, Option<Decimal>>) -> Lists {
        let hidden: RoaringBitmap = changed
            .iter()
            .filter_map(|(&offer_id, before)| before.and_then(|score| base.position_of(offer_id, score)))
            .collect();
        let overlay = Snapshot::build(source, changed.keys().filter_map(|id| source.offers.get(id)));
        Lists { base, hidden, overlay: Some(overlay) }
    }

    /// How many offers the lists hold.
    pub fn len(&self) -> usize {
        self.base.len() - self.hidden.len() as usize + self.overlay.as_ref().map_or(0, Snapshot::len)
    }

    /// Whether the lists hold no offer.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// How many offers the overlay holds (0: the lists are their base alone).
    pub fn overlaid(&self) -> usize {
        self.overlay.as_ref().map_or(0, Snapshot::len)
    }

    /// The ids of the page of `filter`'s list, as [`Snapshot::page`] gives them.
    pub fn page(&self, filter: &DealFilter, shop_ids: Option<&[String]>, terms: Option<&SearchTerms>) -> Vec<i64> {
        let hidden = (!self.hidden.is_empty()).then_some(&self.hidden);
        let base = self.base.ranked_page(filter, shop_ids, terms, hidden);
        let Some(overlay) = &self.overlay else {
            return base.into_iter().map(|(_, id)| id).collect();
        };
        let changed = overlay.ranked_page(filter, shop_ids, terms, None);
        let limit = usize::try_from(filter.limit.max(1)).unwrap_or(usize::MAX);
        merge(base, changed, limit)
    }
}

/// The first `limit` ids of two pages in list order (score descending, then id), merged.
fn merge(left: Vec<(Decimal, i64)>, right: Vec<(Decimal, i64)>, limit: usize) -> Vec<i64> {
    let mut merged = Vec::with_capacity(limit.min(left.len() + right.len()));
    let (mut left, mut right) = (left.into_iter().peekable(), right.into_iter().peekable());
    while merged.len() < limit {
        let first = match (left.peek(), right.peek()) {
            (Some(a), Some(b)) => (b.0, a.1) < (a.0, b.1),
            (Some(_), None) => true,
            (None, Some(_)) => false,
            (None, None) => break,
        };
        let (_, id) = if first { left.next() } else { right.next() }.expect("peeked");
        merged.push(id);
    }
    merged
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::deal_queries::{Activity, DealCursor};

    /// Offer `id` of `shop`, scored `score`, priced 10 × id, holding `word`; ended when `id` is a multiple of 7.
    fn add(source: &mut IndexSource, id: i64, score: &str, shop: &str, word: &str) {
        let price = (10 * id).to_string();
        let words = [word, "promo"];
        source.add(
            id,
            score,
            shop,
            Some("Mode"),
            Some(&price),
            Some("25"),
            Some("honest"),
            id % 7 != 0,
            &words,
            &words,
        );
    }

    #[test]
    fn layered_lists_list_what_rebuilt_lists_would() {
        let mut source = IndexSource::default();
        for id in 1..=40 {
            let score = ((id * 37) % 23).to_string();
            add(
                &mut source,
                id,
                &score,
                if id % 2 == 0 { "a" } else { "b" },
                if id % 3 == 0 { "robe" } else { "jean" },
            );
        }
        let base = Arc::new(Snapshot::build(&source, source.offers.values()));
        let score_of = |source: &IndexSource, id: i64| source.offers.get(&id).map(|offer| offer.score);
        let mut changed = HashMap::new();
        // Rescored, retitled and moved to the other shop; gone; new; rescored twice.
        for (id, score, shop, word) in
            [(5, "22", "a", "robe"), (41, "9", "b", "robe"), (12, "3", "b", "jean"), (12, "30", "b", "jean")]
        {
            changed.entry(id).or_insert(score_of(&source, id));
            add(&mut source, id, score, shop, word);
        }
        changed.entry(8).or_insert(score_of(&source, 8));
        source.forget(8);

        let layered = Lists::over(base, &source, &changed);
        let rebuilt = Lists::whole(Arc::new(Snapshot::build(&source, source.offers.values())));
        assert_eq!(layered.len(), rebuilt.len());
        assert_eq!(layered.overlaid(), 3, "the offers changed and still there");
        let robe = SearchTerms { lexemes: vec!["robe".into()], near: None };
        let shop_a = ["a".to_owned()];
        for (filter, shops, terms) in [
            (DealFilter::default(), None, None),
            (DealFilter { activity: Activity::Any, ..DealFilter::default() }, None, None),
            (DealFilter { activity: Activity::Ended, ..DealFilter::default() }, None, None),
            (DealFilter::default(), Some(&shop_a[..]), None),
            (DealFilter::default(), None, Some(&robe)),
            (DealFilter { max_price: Some(200.into()), ..DealFilter::default() }, None, Some(&robe)),
        ] {
            // Page after page, three at a time.
            let mut filter = DealFilter { limit: 3, ..filter };
            loop {
                let page = layered.page(&filter, shops, terms);
                assert_eq!(page, rebuilt.page(&filter, shops, terms), "{filter:?}");
                let Some(&last) = page.last() else { break };
                let score = score_of(&source, last).expect("a listed offer");
                filter.after = Some(DealCursor { score, id: last });
            }
        }
    }

    fn ranked(pairs: &[(&str, i64)]) -> Vec<(Decimal, i64)> {
        pairs.iter().map(|&(score, id)| (score.parse().expect("a score"), id)).collect()
    }

    #[test]
    fn two_pages_merge_best_score_first_then_by_id_up_to_the_limit() {
        let left = ranked(&[("50", 1), ("40", 3), ("20", 9)]);
        let right = ranked(&[("45", 7), ("40", 2), ("40.0000", 4), ("10", 5)]);
        assert_eq!(merge(left.clone(), right.clone(), 10), vec![1, 7, 2, 3, 4, 9, 5]);
        assert_eq!(merge(left, right, 3), vec![1, 7, 2]);
        assert_eq!(merge(Vec::new(), ranked(&[("1", 1)]), 5), vec![1]);
    }
}
