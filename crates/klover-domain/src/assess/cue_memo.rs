//! Per text, what matching the cues worked out once: which tokens each cue word matches,
//! where each term occurs, which tokens negate. Cue words and terms are numbered when
//! compiled (`word_id`, [`TERM_IDS`]), so a lookup neither hashes nor compares strings.
//!
//! One turn matches hundreds of cues, sentence by sentence, against the learner's words,
//! and the same few hundred words recur across them (and across the concepts a turn is
//! read against): matching each word against every token once, then looking up, took an
//! offline turn on the seed's lines from 1.45 ms to about 0.4 ms (docs/benchmarks.md).

use std::cell::{OnceCell, RefCell};

use fixedbitset::FixedBitSet;
use rustc_hash::FxHashMap;

use super::{Occurrence, Term, Word, word_matches};
use crate::assess::text::{Token, is_negator};

/// Every term (its alternatives) compiled in this process, numbered, as [`WORD_IDS`].
pub(super) static TERM_IDS: std::sync::OnceLock<std::sync::Mutex<FxHashMap<Vec<Vec<Word>>, u32>>> =
    std::sync::OnceLock::new();

/// Every cue word compiled in this process, numbered: a text's [`WordMemo`] is keyed by
/// these numbers, so a lookup neither hashes nor compares strings. Words repeat across
/// cues and curricula, so the table stays the size of the authored vocabulary.
static WORD_IDS: std::sync::OnceLock<std::sync::Mutex<FxHashMap<Word, u32>>> =
    std::sync::OnceLock::new();

/// Every cue word in [`WORD_IDS`], by its number: what a token's matches are worked out
/// against ([`token_words`]).
static WORDS: std::sync::RwLock<Vec<Word>> = std::sync::RwLock::new(Vec::new());

/// The number of `w` in [`WORD_IDS`] (and `w` at that place in [`WORDS`]).
pub(super) fn word_id(w: &Word) -> u32 {
    let table = WORD_IDS.get_or_init(Default::default);
    let mut table = table
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some(id) = table.get(w) {
        return *id;
    }
    let mut words = WORDS
        .write()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let next = u32::try_from(words.len()).unwrap_or(u32::MAX);
    words.push(w.clone());
    table.insert(w.clone(), next);
    next
}

/// The number of `key` in `table`, numbering it if it is new.
pub(super) fn intern<K: Clone + Eq + std::hash::Hash>(
    table: &std::sync::OnceLock<std::sync::Mutex<FxHashMap<K, u32>>>,
    key: &K,
) -> u32 {
    let table = table.get_or_init(Default::default);
    let mut table = table
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some(id) = table.get(key) {
        return *id;
    }
    let next = u32::try_from(table.len()).unwrap_or(u32::MAX);
    table.insert(key.clone(), next);
    next
}

/// Per text: the tokens each cue word matches (by `word_id`), where each term's
/// alternatives occur (by `Term::id`), and the negators, filled as the cues ask. A
/// `Folded` text's tokens must not change once it has been matched.
///
/// Both tables are indexed by the dense numbers themselves (a lookup is an array read: a
/// hash lookup per word and per term was a sixth of a turn's time).
#[derive(Debug, Clone, Default)]
pub struct WordMemo {
    words: RefCell<Dense<FixedBitSet>>,
    /// Per term: every `(first token, length, holds a negator)` where one of its
    /// alternatives matches in the whole text, by first token and then the cue's order.
    terms: RefCell<Dense<Vec<Occurrence>>>,
    negators: OnceCell<FixedBitSet>,
    /// Whether `words` holds every cue word's tokens (see [`WordMemo::fill`]).
    filled: OnceCell<()>,
}

/// Values by a dense number (`word_id`, `Term::id`): `at[id]` is 0 when `id` has no
/// value yet, else one more than its place in `values`.
#[derive(Debug, Clone, Default)]
struct Dense<T> {
    at: Vec<u32>,
    values: Vec<T>,
}

impl<T> Dense<T> {
    fn get(&self, id: u32) -> Option<&T> {
        let k = *self.at.get(id as usize)?;
        k.checked_sub(1).map(|k| &self.values[k as usize])
    }

    fn contains(&self, id: u32) -> bool {
        self.at.get(id as usize).is_some_and(|k| *k != 0)
    }

    /// `id`'s value, made with `make` if it has none.
    fn get_or_insert_with(&mut self, id: u32, make: impl FnOnce() -> T) -> &mut T {
        self.insert_with(id, make);
        let k = self.at[id as usize] - 1;
        &mut self.values[k as usize]
    }

    /// Sets `id`'s value unless it has one.
    fn insert_with(&mut self, id: u32, make: impl FnOnce() -> T) {
        let i = id as usize;
        if self.at.len() <= i {
            self.at.resize(i + 1, 0);
        }
        if self.at[i] == 0 {
            self.values.push(make());
            self.at[i] = u32::try_from(self.values.len()).unwrap_or(u32::MAX);
        }
    }
}

impl WordMemo {
    /// Where `term`'s alternatives match in `tokens` (see [`WordMemo::terms`]).
    pub(super) fn hits(&self, term: &Term, tokens: &[Token]) -> std::cell::Ref<'_, [Occurrence]> {
        if !self.terms.borrow().contains(term.id) {
            self.filled.get_or_init(|| self.fill(tokens));
            let words = self.words.borrow();
            let empty = FixedBitSet::new();
            let set = |id: &u32| words.get(*id).unwrap_or(&empty);
            // (first token, alternative's place in the cue, length, holds a negator)
            let mut found: Vec<(usize, usize, usize, bool)> = Vec::new();
            for (place, (ids, negation)) in term.ids.iter().enumerate() {
                let Some((head, tail)) = ids.split_first() else {
                    continue;
                };
                for i in set(head).ones() {
                    let fits = i + ids.len() <= tokens.len()
                        && tail
                            .iter()
                            .enumerate()
                            .all(|(k, id)| set(id).contains(i + 1 + k));
                    if fits && !distributive(tokens, i, ids.len()) {
                        found.push((i, place, ids.len(), *negation));
                    }
                }
            }
            found.sort_unstable();
            let hits = found
                .into_iter()
                .map(|(i, _, n, neg)| (i, n, neg))
                .collect();
            self.terms.borrow_mut().insert_with(term.id, || hits);
        }
        std::cell::Ref::map(self.terms.borrow(), |terms| {
            terms.get(term.id).map_or(&[][..], Vec::as_slice)
        })
    }

    /// Works out the tokens every cue word matches, token by token: which cue words a
    /// token matches is the same in every text, so each thread keeps it per word form
    /// ([`token_words`]) and a text only looks its tokens up.
    fn fill(&self, tokens: &[Token]) {
        let all = WORDS
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut words = self.words.borrow_mut();
        for (i, t) in tokens.iter().enumerate() {
            token_words(t, &all, |id| {
                let set = words.get_or_insert_with(id, || FixedBitSet::with_capacity(tokens.len()));
                set.insert(i);
            });
        }
    }

    /// Whether token `k` is a negator.
    pub(super) fn negator(&self, tokens: &[Token], k: usize) -> bool {
        self.negators
            .get_or_init(|| {
                let mut set = FixedBitSet::with_capacity(tokens.len());
                for (i, t) in tokens.iter().enumerate() {
                    set.set(i, is_negator(&t.folded));
                }
                set
            })
            .contains(k)
    }
}

/// The cue words a word form matches, as far as the cue words numbered below `upto`.
struct TokenWords {
    stem: Box<str>,
    upto: usize,
    ids: Vec<u32>,
}

/// Word forms kept per thread before the table starts again (a learner's vocabulary is a
/// few thousand forms; this bounds a flood of made-up words).
const TOKEN_WORDS_LIMIT: usize = 50_000;

thread_local! {
    /// Per word form (the folded token): the cue words it matches. Learners' words recur
    /// from text to text and learner to learner, so most tokens are looked up here instead
    /// of being matched against every cue word of their first letter.
    static TOKEN_WORDS: std::cell::RefCell<FxHashMap<Box<str>, TokenWords>> =
        std::cell::RefCell::new(FxHashMap::default());
}

/// Forgets this thread's word forms (see [`TOKEN_WORDS`]): a benchmark that measures a
/// text whose every word is new.
pub fn forget_word_forms() {
    TOKEN_WORDS.with_borrow_mut(FxHashMap::clear);
}

/// Calls `each` with the number of every cue word in `all` that matches token `t`.
fn token_words(t: &Token, all: &[Word], mut each: impl FnMut(u32)) {
    let matching = |from: usize, ids: &mut Vec<u32>| {
        for (id, w) in all.iter().enumerate().skip(from) {
            if may_match(w, t) && word_matches(w, t) {
                ids.push(u32::try_from(id).unwrap_or(u32::MAX));
            }
        }
    };
    TOKEN_WORDS.with_borrow_mut(|cache| {
        if !cache.contains_key(t.folded.as_str()) {
            if cache.len() >= TOKEN_WORDS_LIMIT {
                cache.clear();
            }
            let entry = TokenWords {
                stem: t.stem.as_str().into(),
                upto: 0,
                ids: Vec::new(),
            };
            cache.insert(t.folded.as_str().into(), entry);
        }
        let Some(entry) = cache.get_mut(t.folded.as_str()) else {
            return;
        };
        if *entry.stem != *t.stem {
            // Not the stem this form had before (never, as a stem is a function of the
            // form): matched afresh, not kept.
            let mut ids = Vec::new();
            matching(0, &mut ids);
            ids.into_iter().for_each(&mut each);
            return;
        }
        if entry.upto < all.len() {
            matching(entry.upto, &mut entry.ids);
            entry.upto = all.len();
        }
        entry.ids.iter().copied().for_each(each);
    });
}

/// Whether cue word `w` can match token `t` at all: a stem or a prefix matches (exactly
/// or as a typo) only a token whose stem or folded form starts with its first letter.
fn may_match(w: &Word, t: &Token) -> bool {
    let first = match w {
        Word::Stem(s) | Word::Prefix(s) => s.as_bytes().first(),
        Word::Negator | Word::Negation(_) => None,
    };
    first.is_none_or(|b| {
        t.stem.as_bytes().first() == Some(b) || t.folded.as_bytes().first() == Some(b)
    })
}

/// Words that make "one" a single one of something.
const SINGULAR: &[&str] = &["one", "1", "single", "a"];

/// Wholes a unit can be one per and still be one: "one thread per process at a time" is
/// one thread; "one thread per task" is as many threads as tasks.
const WHOLES: &[&str] = &[
    "process",
    "processes",
    "interpreter",
    "interpreters",
    "program",
    "programs",
    "app",
    "application",
    "machine",
    "loop",
    "gil",
    "computer",
];

/// Whether the phrase at `tokens[i..i + n]` opens with a singular ("one thread",
/// "single") that a distributive right after it ("per task", "each", "to every request")
/// turns into many: "one thread per task" does not say one thread. The phrase's noun may
/// follow a bare quantifier ("a single thread per task").
fn distributive(tokens: &[Token], i: usize, n: usize) -> bool {
    let word = |k: usize| tokens.get(k).map_or("", |t| t.folded.as_str());
    if !SINGULAR.contains(&word(i)) {
        return false;
    }
    let phrase = if n >= 2 { i + n } else { i + n + 1 };
    let after = |k: usize| -> bool {
        let (w, next) = (word(k), word(k + 1));
        let object = match w {
            "per" | "each" | "every" => next,
            "for" | "to" if matches!(next, "each" | "every") => word(k + 2),
            _ => return false,
        };
        !WHOLES.contains(&object)
    };
    after(phrase)
}
