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

/// The number of `w` in [`WORD_IDS`].
pub(super) fn word_id(w: &Word) -> u32 {
    intern(&WORD_IDS, w)
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
    /// The tokens whose stem or folded form starts with each byte.
    by_first: OnceCell<FxHashMap<u8, Vec<usize>>>,
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
            self.fill(term, tokens);
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

    /// Works out the tokens of every word of `term` not yet known. A stem or a prefix
    /// matches (exactly or as a typo) only a token that starts with its first letter, so
    /// only those are tried.
    fn fill(&self, term: &Term, tokens: &[Token]) {
        let by_first = self.by_first.get_or_init(|| {
            let mut map: FxHashMap<u8, Vec<usize>> = FxHashMap::default();
            for (i, t) in tokens.iter().enumerate() {
                let firsts = [t.stem.as_bytes().first(), t.folded.as_bytes().first()];
                for b in firsts.into_iter().flatten() {
                    let at = map.entry(*b).or_default();
                    if at.last() != Some(&i) {
                        at.push(i);
                    }
                }
            }
            map
        });
        let mut words = self.words.borrow_mut();
        for (alt, (ids, _)) in term.alts.iter().zip(&term.ids) {
            for (w, id) in alt.iter().zip(ids) {
                words.insert_with(*id, || {
                    // Grown on the first match only: most words match no token of a
                    // text, and their empty set allocates nothing.
                    let mut set = FixedBitSet::new();
                    let mut found = |i: usize| {
                        set.grow(tokens.len());
                        set.insert(i);
                    };
                    let first = match w {
                        Word::Stem(s) | Word::Prefix(s) => s.as_bytes().first(),
                        Word::Negator | Word::Negation(_) => None,
                    };
                    match first {
                        Some(b) => {
                            for &i in by_first.get(b).map_or(&[][..], Vec::as_slice) {
                                if word_matches(w, &tokens[i]) {
                                    found(i);
                                }
                            }
                        }
                        None => {
                            for (i, t) in tokens.iter().enumerate() {
                                if word_matches(w, t) {
                                    found(i);
                                }
                            }
                        }
                    }
                    set
                });
            }
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
