//! The deal lists of one search generation, built in memory: every scored offer in list order (score descending,
//! then id), and for each word, lexeme, shop, category, verdict and state the set of positions of the offers that
//! have it (roaring bitmaps). A page of any list is the intersection of the sets its filter and search name,
//! walked from the cursor's position, with the price and the real discount tested on the way: microseconds where
//! PostgreSQL needed milliseconds for common words with selective filters.
//!
//! Immutable once built: a newer generation is a new snapshot, so that requests never wait for a rebuild.

use std::borrow::Cow;
use std::cmp::Reverse;
use std::collections::HashMap;

use roaring::{MultiOps, RoaringBitmap};
use rust_decimal::Decimal;

use super::search_terms::SearchTerms;
use super::source::{IndexSource, IndexedOffer, Names};
use crate::store::deal_queries::{Activity, DealCursor, DealFilter};

/// What a page needs of an offer beyond the sets it is in.
#[derive(Debug, Clone)]
struct ListedOffer {
    offer_id: i64,
    score: Decimal,
    price: Option<Decimal>,
    real_discount_pct: Option<Decimal>,
}

/// The deal lists of one generation.
#[derive(Debug)]
pub struct Snapshot {
    /// The search generation the lists are of.
    pub generation: i64,
    offers: Vec<ListedOffer>,
    tokens: HashMap<Box<str>, RoaringBitmap>,
    lexemes: HashMap<Box<str>, RoaringBitmap>,
    shops: HashMap<Box<str>, RoaringBitmap>,
    categories: HashMap<Box<str>, RoaringBitmap>,
    verdicts: HashMap<Box<str>, RoaringBitmap>,
    active: RoaringBitmap,
    ended: RoaringBitmap,
}

impl Snapshot {
    /// The lists of `offers`, some or all of those of `source` (whose names number their words, shops...).
    pub(super) fn build<'a>(source: &'a IndexSource, offers: impl Iterator<Item = &'a IndexedOffer>) -> Snapshot {
        // Sorted by whole numbers of ten-thousandths: comparing decimals was a fifth of the time of a build.
        let mut keyed: Vec<_> = offers.map(|offer| (Reverse(score_key(offer.score)), offer.offer_id, offer)).collect();
        keyed.sort_unstable_by_key(|&(score, id, _)| (score, id));
        let count = keyed.len();
        let order = keyed.into_iter().map(|(_, _, offer)| offer);

        let sets_for = |names: &Names| vec![RoaringBitmap::new(); names.len()];
        let (mut tokens, mut lexemes) = (sets_for(&source.tokens), sets_for(&source.lexemes));
        let (mut shops, mut categories) = (sets_for(&source.shops), sets_for(&source.categories));
        let mut verdicts = sets_for(&source.verdicts);
        let (mut active, mut ended) = (RoaringBitmap::new(), RoaringBitmap::new());
        let mut offers = Vec::with_capacity(count);
        for (position, offer) in order.enumerate() {
            let position = u32::try_from(position).expect("fewer than 4 billion offers");
            // Positions come in increasing order: `push` appends without searching.
            for &token in &offer.tokens {
                append(&mut tokens[token as usize], position);
            }
            for &lexeme in &offer.lexemes {
                append(&mut lexemes[lexeme as usize], position);
            }
            append(&mut shops[offer.shop as usize], position);
            if let Some(category) = offer.category {
                append(&mut categories[category as usize], position);
            }
            if let Some(verdict) = offer.verdict {
                append(&mut verdicts[verdict as usize], position);
            }
            append(if offer.active { &mut active } else { &mut ended }, position);
            offers.push(ListedOffer {
                offer_id: offer.offer_id,
                score: offer.score,
                price: offer.price,
                real_discount_pct: offer.real_discount_pct,
            });
        }
        Snapshot {
            generation: source.generation,
            offers,
            tokens: named(&source.tokens, tokens),
            lexemes: named(&source.lexemes, lexemes),
            shops: named(&source.shops, shops),
            categories: named(&source.categories, categories),
            verdicts: named(&source.verdicts, verdicts),
            active,
            ended,
        }
    }

    /// How many offers the lists hold.
    pub fn len(&self) -> usize {
        self.offers.len()
    }

    /// Whether the lists hold no offer.
    pub fn is_empty(&self) -> bool {
        self.offers.is_empty()
    }

    /// The ids of the page of `filter`'s list (at most `filter.limit`), in list order: the same offers as
    /// `store::deal_queries::list_deals` picks from the search rows of this generation. `shop_ids` are the shops
    /// `filter.shop` names; `terms` are the terms of its search (required when it has one).
    pub fn page(&self, filter: &DealFilter, shop_ids: Option<&[String]>, terms: Option<&SearchTerms>) -> Vec<i64> {
        self.ranked_page(filter, shop_ids, terms, None).into_iter().map(|(_, id)| id).collect()
    }

    /// The page as [`Snapshot::page`], with each offer's score, leaving out the offers at the `hidden` positions.
    pub(super) fn ranked_page(
        &self,
        filter: &DealFilter,
        shop_ids: Option<&[String]>,
        terms: Option<&SearchTerms>,
        hidden: Option<&RoaringBitmap>,
    ) -> Vec<(Decimal, i64)> {
        let limit = usize::try_from(filter.limit.max(1)).unwrap_or(usize::MAX);
        let mut sets: Vec<Cow<'_, RoaringBitmap>> = Vec::new();
        match filter.activity {
            Activity::Active => sets.push(Cow::Borrowed(&self.active)),
            Activity::Ended => sets.push(Cow::Borrowed(&self.ended)),
            Activity::Any => {}
        }
        if let Some(ids) = shop_ids {
            sets.push(Cow::Owned(ids.iter().filter_map(|id| self.shops.get(id.as_str())).union()));
        }
        if let Some(category) = &filter.category {
            match self.categories.get(category.as_str()) {
                Some(set) => sets.push(Cow::Borrowed(set)),
                None => return Vec::new(),
            }
        }
        if !filter.verdicts.is_empty() {
            sets.push(Cow::Owned(
                filter.verdicts.iter().filter_map(|verdict| self.verdicts.get(verdict.as_str())).union(),
            ));
        }
        if let Some(terms) = terms {
            sets.push(Cow::Owned(self.matching(terms)));
        }

        let priced = |offer: &ListedOffer| {
            at_least(offer.price, filter.min_price)
                && at_most(offer.price, filter.max_price)
                && at_least(offer.real_discount_pct, filter.min_real_discount)
        };
        let start = self.start(filter.after);
        let mut page = Vec::new();
        let mut take = |offer: &ListedOffer| {
            if priced(offer) {
                page.push((offer.score, offer.offer_id));
            }
            page.len() < limit
        };
        sets.sort_by_key(|set| set.len());
        let mut sets = sets.into_iter();
        match sets.next() {
            None => {
                for (position, offer) in (start..).zip(&self.offers[start..]) {
                    let shown = hidden.is_none_or(|hidden| !hidden.contains(position as u32));
                    if shown && !take(offer) {
                        break;
                    }
                }
            }
            Some(first) => {
                // A list of one set (the active deals: the home page) is walked where it lies, not copied.
                let mut candidates = first;
                for set in sets {
                    *candidates.to_mut() &= set.as_ref();
                }
                if let Some(hidden) = hidden {
                    *candidates.to_mut() -= hidden;
                }
                let start = u32::try_from(start).expect("fewer than 4 billion offers");
                for position in candidates.range(start..) {
                    if !take(&self.offers[position as usize]) {
                        break;
                    }
                }
            }
        }
        page
    }

    /// The positions of the offers `terms` match: all its lexemes, or a near word of each query word.
    fn matching(&self, terms: &SearchTerms) -> RoaringBitmap {
        let mut found = if terms.lexemes.is_empty() {
            RoaringBitmap::new()
        } else {
            // A lexeme no offer holds matches nothing.
            terms
                .lexemes
                .iter()
                .map(|lexeme| self.lexemes.get(lexeme.as_str()))
                .collect::<Option<Vec<_>>>()
                .map(MultiOps::intersection)
                .unwrap_or_default()
        };
        if let Some(near) = &terms.near {
            let each_word =
                near.iter().map(|words| words.iter().filter_map(|word| self.tokens.get(word.as_str())).union());
            found |= each_word.intersection();
        }
        found
    }

    /// The position of offer `offer_id` scored `score` in these lists, if it is there.
    pub(super) fn position_of(&self, offer_id: i64, score: Decimal) -> Option<u32> {
        let key = (Reverse(score_key(score)), offer_id);
        let position = self.offers.partition_point(|offer| (Reverse(score_key(offer.score)), offer.offer_id) < key);
        let found = self.offers.get(position).is_some_and(|offer| offer.offer_id == offer_id);
        found.then(|| u32::try_from(position).expect("fewer than 4 billion offers"))
    }

    /// The position of the first offer after `after` in list order (score descending, then id).
    fn start(&self, after: Option<DealCursor>) -> usize {
        match after {
            None => 0,
            Some(DealCursor { score, id }) => self
                .offers
                .partition_point(|offer| offer.score > score || (offer.score == score && offer.offer_id <= id)),
        }
    }
}

/// The non-empty sets of `sets`, by the name of their number in `names`.
fn named(names: &Names, sets: Vec<RoaringBitmap>) -> HashMap<Box<str>, RoaringBitmap> {
    (0..).zip(sets).filter(|(_, set)| !set.is_empty()).map(|(number, set)| (names.name(number).into(), set)).collect()
}

/// The digits of `score` at four decimals, which order scores as they compare: scores are `numeric(12, 4)`, so no
/// score has more decimals and rescaling is exact.
fn score_key(score: Decimal) -> i128 {
    let mut fixed = score;
    fixed.rescale(4);
    debug_assert_eq!(fixed, score, "a score with more than four decimals");
    fixed.mantissa()
}

/// Adds `position`, greater than any in `set` but when an offer repeats a word (then it is there already).
fn append(set: &mut RoaringBitmap, position: u32) {
    let _repeated = set.try_push(position);
}

/// SQL's `value >= bound`: no value is never within a bound.
fn at_least(value: Option<Decimal>, bound: Option<Decimal>) -> bool {
    bound.is_none_or(|bound| value.is_some_and(|value| value >= bound))
}

/// SQL's `value <= bound`.
fn at_most(value: Option<Decimal>, bound: Option<Decimal>) -> bool {
    bound.is_none_or(|bound| value.is_some_and(|value| value <= bound))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An offer whose words are its own lexemes.
    #[allow(clippy::too_many_arguments)]
    fn add(
        source: &mut IndexSource,
        (id, score): (i64, &str),
        shop: &str,
        category: &str,
        price: &str,
        discount: Option<&str>,
        verdict: &str,
        active: bool,
        words: &[&str],
    ) {
        source.add(id, score, shop, Some(category), Some(price), discount, Some(verdict), active, words, words);
    }

    /// Five offers: ids 1-5 scored 50, 40, 40, 30, 20.
    fn lists() -> Snapshot {
        let mut source = IndexSource::default();
        let source_ = &mut source;
        add(source_, (3, "40"), "a", "Maison", "199.99", Some("33"), "honest", true, &["aspirateur", "sans"]);
        add(source_, (1, "50"), "a", "Sport", "60", Some("40"), "honest", true, &["chaussures", "running"]);
        add(source_, (2, "40"), "b", "Sport", "80", None, "unverified", true, &["chaussures", "ville"]);
        add(source_, (4, "30"), "b", "Maison", "40", Some("20"), "inflated", false, &["lampe"]);
        add(source_, (5, "20"), "b", "High-tech", "49.99", Some("5"), "honest", true, &["casque", "sans"]);
        Snapshot::build(&source, source.offers.values())
    }

    fn filter() -> DealFilter {
        DealFilter::default()
    }

    fn words(lexemes: &[&str], near: Option<&[&[&str]]>) -> SearchTerms {
        let owned = |words: &[&str]| words.iter().map(|&word| word.to_owned()).collect::<Vec<_>>();
        SearchTerms { lexemes: owned(lexemes), near: near.map(|near| near.iter().map(|&words| owned(words)).collect()) }
    }

    #[test]
    fn score_keys_order_scores_as_they_compare() {
        let scores = ["-42.5", "-0.0001", "0", "6", "6.0001", "87.5", "99999999.9999"];
        let keys: Vec<i128> = scores.iter().map(|score| score_key(score.parse().expect("a score"))).collect();
        assert!(keys.windows(2).all(|pair| pair[0] < pair[1]), "{keys:?}");
        assert_eq!(score_key("40".parse().expect("a score")), score_key("40.0000".parse().expect("a score")));
    }

    #[test]
    fn the_active_deals_come_best_score_first_then_by_id() {
        assert_eq!(lists().page(&filter(), None, None), vec![1, 2, 3, 5]);
    }

    #[test]
    fn a_page_starts_after_its_cursor_and_holds_at_most_its_limit() {
        let lists = lists();
        let first = DealFilter { limit: 2, ..filter() };
        assert_eq!(lists.page(&first, None, None), vec![1, 2]);
        let after = Some(DealCursor { score: "40.0000".parse().expect("a score"), id: 2 });
        assert_eq!(lists.page(&DealFilter { after, ..first.clone() }, None, None), vec![3, 5]);
        let after = Some(DealCursor { score: "20".parse().expect("a score"), id: 5 });
        assert_eq!(lists.page(&DealFilter { after, ..first }, None, None), Vec::<i64>::new());
    }

    #[test]
    fn filters_narrow_the_list_as_sql_would() {
        let lists = lists();
        let shop_b = ["b".to_owned()];
        assert_eq!(lists.page(&filter(), Some(&shop_b), None), vec![2, 5], "one shop, active only");
        let ended = DealFilter { activity: Activity::Ended, ..filter() };
        assert_eq!(lists.page(&ended, None, None), vec![4]);
        let any = DealFilter { activity: Activity::Any, ..filter() };
        assert_eq!(lists.page(&any, None, None), vec![1, 2, 3, 4, 5]);
        let sport = DealFilter { category: Some("Sport".into()), ..filter() };
        assert_eq!(lists.page(&sport, None, None), vec![1, 2]);
        let unknown = DealFilter { category: Some("Jardin".into()), ..filter() };
        assert_eq!(lists.page(&unknown, None, None), Vec::<i64>::new());
        let priced = DealFilter { min_price: Some(50.into()), max_price: Some(100.into()), ..filter() };
        assert_eq!(lists.page(&priced, None, None), vec![1, 2]);
        let discounted = DealFilter { min_real_discount: Some(30.into()), ..filter() };
        assert_eq!(lists.page(&discounted, None, None), vec![1, 3], "no real discount is below any minimum");
        let verdicts = DealFilter { verdicts: vec!["unverified".into(), "inflated".into()], ..any };
        assert_eq!(lists.page(&verdicts, None, None), vec![2, 4]);
        let nowhere = ["c".to_owned()];
        assert_eq!(lists.page(&filter(), Some(&nowhere), None), Vec::<i64>::new());
    }

    #[test]
    fn a_search_matches_all_its_lexemes_or_a_near_word_of_each_word() {
        let lists = lists();
        let search = |terms: &SearchTerms| lists.page(&filter(), None, Some(terms));
        assert_eq!(search(&words(&["chaussures"], None)), vec![1, 2]);
        assert_eq!(search(&words(&["chaussures", "ville"], None)), vec![2], "every lexeme");
        assert_eq!(search(&words(&["chaussures", "plage"], None)), Vec::<i64>::new(), "a lexeme no offer holds");
        assert_eq!(search(&words(&[], Some(&[&["aspirateur", "casque"], &["sans"]]))), vec![3, 5], "near words");
        assert_eq!(search(&words(&["lampe"], Some(&[&["running"]]))), vec![1], "either way (the lamp has ended)");
        assert_eq!(search(&words(&[], None)), Vec::<i64>::new(), "stop words only, and no near word");
        let sport = DealFilter { category: Some("Sport".into()), ..filter() };
        assert_eq!(lists.page(&sport, None, Some(&words(&["chaussures"], None))), vec![1, 2]);
    }
}
