//! What a search text asks of the in-memory deal lists: the French lexemes an offer must all hold, and for each
//! query word the indexed words near it. PostgreSQL computes both (its French stemmer and stop words, pg_trgm's
//! similarity over `search_words`), exactly as the search of `store::deal_queries` does, so that the lists in
//! memory match the same offers; only the matching against a million offers moves to memory.
//!
//! Word by word, so that a word asked once is not asked again while the search words stay the same (the lists of
//! one generation keep them: [`WordCache`]): a long tail of distinct searches is made of a few thousand distinct
//! words.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use sqlx::PgPool;

use crate::store::deal_queries::{self, MAX_SEARCH_WORDS};

/// A search text as the in-memory lists match it: an offer matches when its French lexemes hold all of
/// `lexemes`, or when it holds, for each query word, one of the words `near` it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchTerms {
    /// The lexemes of the whole text (`websearch_to_tsquery('french', ...)`); empty when it has none (only stop
    /// words, say): then no offer matches by lexemes, as `words @@ ''` matches nothing in PostgreSQL.
    pub lexemes: Vec<String>,
    /// For each query word, the indexed words near it; `None` when some word has none.
    pub near: Option<Vec<Vec<String>>>,
}

/// What one query word contributes to a search.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WordTerms {
    /// Its lexemes (`websearch_to_tsquery('french', word)`), or `None` when they are more than a conjunction (a
    /// word joined by punctuation, such as `t-shirt`, is a phrase).
    lexemes: Option<Vec<String>>,
    /// The indexed words near it (containing it, or similar: a typo).
    near: Vec<String>,
}

impl SearchTerms {
    /// The terms of `text`, asking PostgreSQL only for the words `kept` does not know yet; `None` when PostgreSQL
    /// must answer the search itself: websearch syntax beyond a list of words (a phrase in quotes, `-word`, `or`,
    /// words joined by punctuation), or more than [`MAX_SEARCH_WORDS`] words.
    ///
    /// For a list of words, `websearch_to_tsquery` of the text is the conjunction of those of its words, which is
    /// what lets the words be asked (and kept) one by one.
    pub async fn of(pool: &PgPool, text: &str, kept: &WordCache) -> Result<Option<SearchTerms>, sqlx::Error> {
        let words: Vec<&str> = text.split_whitespace().collect();
        let syntax =
            text.contains('"') || words.iter().any(|word| word.starts_with('-') || word.eq_ignore_ascii_case("or"));
        if syntax || words.len() > MAX_SEARCH_WORDS {
            return Ok(None);
        }
        let mut terms: Vec<Option<Arc<WordTerms>>> = words.iter().map(|word| kept.kept_word(word)).collect();
        let mut missing: Vec<&str> =
            words.iter().zip(&terms).filter(|(_, kept)| kept.is_none()).map(|(&word, _)| word).collect();
        missing.sort_unstable();
        missing.dedup();
        if !missing.is_empty() {
            let asked: HashMap<&str, Arc<WordTerms>> =
                missing.iter().copied().zip(WordTerms::ask(pool, &missing).await?.into_iter().map(Arc::new)).collect();
            for (word, slot) in words.iter().zip(&mut terms) {
                if slot.is_none() {
                    *slot = asked.get(word).cloned();
                }
            }
            for (word, asked) in asked {
                kept.keep_word(word, asked);
            }
        }
        // Every word has its terms now; were one missing, PostgreSQL would answer rather than a search without it.
        let Some(terms) = terms.into_iter().collect::<Option<Vec<_>>>() else {
            return Ok(None);
        };
        let mut lexemes = Vec::new();
        let mut near = Vec::new();
        for word in terms {
            let Some(own) = &word.lexemes else {
                return Ok(None);
            };
            lexemes.extend(own.iter().cloned());
            near.push(word.near.clone());
        }
        Ok(Some(SearchTerms { lexemes, near: (!near.iter().any(Vec::is_empty)).then_some(near) }))
    }
}

/// The most query words whose terms a cache keeps (it forgets them all when full; asking them again is one
/// statement per search).
const KEPT_WORDS: usize = 100_000;

/// The terms of the query words searched in one generation. The near words of a word change only when a refresh
/// adds words (or when one deletes rows, for words no offer holds any more), which makes a new generation.
#[derive(Debug, Default)]
pub struct WordCache {
    words: Mutex<HashMap<String, Arc<WordTerms>>>,
}

impl WordCache {
    /// The terms kept for query word `word`.
    fn kept_word(&self, word: &str) -> Option<Arc<WordTerms>> {
        self.words.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).get(word).cloned()
    }

    /// Keeps `terms` for query word `word`.
    fn keep_word(&self, word: &str, terms: Arc<WordTerms>) {
        let mut words = self.words.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if words.len() >= KEPT_WORDS {
            words.clear();
        }
        words.insert(word.to_owned(), terms);
    }
}

impl WordTerms {
    /// The terms of each of `words`, in order, in one statement.
    async fn ask(pool: &PgPool, words: &[&str]) -> Result<Vec<WordTerms>, sqlx::Error> {
        let asked = deal_queries::word_terms(pool, words).await?;
        Ok(asked.into_iter().map(|(query, near)| WordTerms { lexemes: plain_lexemes(&query), near }).collect())
    }
}

/// The lexemes of a tsquery's text when it is only lexemes joined by `&` (`'casqu' & 'san' & 'fil'`; the empty
/// text has none); `None` for any other operator, prefix or weight.
///
/// Hand-written: the text form is all PostgreSQL gives back, and no crate reads it. Inside quotes, PostgreSQL
/// doubles a quote and escapes a backslash with a backslash.
fn plain_lexemes(query: &str) -> Option<Vec<String>> {
    let mut lexemes = Vec::new();
    let mut rest = query.trim();
    if rest.is_empty() {
        return Some(lexemes);
    }
    loop {
        rest = rest.strip_prefix('\'')?;
        let mut lexeme = String::new();
        let mut chars = rest.char_indices().peekable();
        let end = loop {
            let (at, c) = chars.next()?;
            match c {
                '\'' if chars.peek().is_some_and(|&(_, next)| next == '\'') => {
                    chars.next();
                    lexeme.push('\'');
                }
                '\'' => break at + 1,
                '\\' => lexeme.push(chars.next()?.1),
                c => lexeme.push(c),
            }
        };
        lexemes.push(lexeme);
        rest = &rest[end..];
        if rest.is_empty() {
            return Some(lexemes);
        }
        rest = rest.strip_prefix(" & ")?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_list_of_words_gives_its_lexemes() {
        assert_eq!(plain_lexemes("'casqu' & 'san' & 'fil'"), Some(vec!["casqu".into(), "san".into(), "fil".into()]));
        assert_eq!(plain_lexemes("'aspir'"), Some(vec!["aspir".into()]));
    }

    #[test]
    fn a_text_of_stop_words_gives_no_lexeme() {
        assert_eq!(plain_lexemes(""), Some(Vec::new()));
    }

    #[test]
    fn quotes_and_backslashes_inside_a_lexeme_are_unescaped() {
        assert_eq!(plain_lexemes(r"'l''oreal' & 'a\\b'"), Some(vec!["l'oreal".into(), r"a\b".into()]));
    }

    #[test]
    fn phrases_negations_alternatives_and_prefixes_are_left_to_postgresql() {
        for query in ["'casqu' <-> 'audio'", "!'aspir'", "'robe' | 'jup'", "'aspi':*", "'robe' & !'roug'", "'robe':A"] {
            assert_eq!(plain_lexemes(query), None, "{query}");
        }
    }

    #[test]
    fn an_unclosed_quote_is_not_read_as_lexemes() {
        assert_eq!(plain_lexemes("'casqu"), None);
    }
}
