//! Per text, what matching the cues worked out once: which tokens each cue word matches,
//! where each term occurs, which tokens negate. Cue words and terms are numbered when
//! compiled (`word_id`, [`TERM_IDS`]), so a lookup neither hashes nor compares strings.
//!
//! One turn matches hundreds of cues, sentence by sentence, against the learner's words,
//! and the same few hundred words recur across them (and across the concepts a turn is
//! read against): matching each word against every token once, then looking up, took an
//! offline turn on the seed's lines from 1.45 ms to about 0.4 ms (docs/benchmarks.md).
//! Each thread also remembers which cue words each token it has seen matches
//! ([`TOKEN_WORDS`]), so a text's words are found by looking its tokens up.

use std::cell::{Cell, OnceCell, RefCell};

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
static WORDS: std::sync::RwLock<Vocabulary> = std::sync::RwLock::new(Vocabulary {
    ids: None,
    words: Vec::new(),
    by_first: None,
    anywhere: Vec::new(),
});

/// The cue words by number, and which of them a token may match.
struct Vocabulary {
    ids: Option<FxHashMap<Word, u32>>,
    words: Vec<Word>,
    /// The words that start with each byte: a stem or a prefix matches (exactly or as a
    /// typo) only a token whose stem or folded form starts with its first letter.
    by_first: Option<FxHashMap<u8, Vec<u32>>>,
    /// The words that may match any token (negators, an empty stem).
    anywhere: Vec<u32>,
}

impl Vocabulary {
    /// The numbers of the words `t` matches ([`word_matches`]), ascending.
    fn matched_by(&self, t: &Token) -> Vec<u32> {
        let none: &[u32] = &[];
        let first = |s: &str| {
            s.as_bytes()
                .first()
                .and_then(|b| self.by_first.as_ref()?.get(b))
                .map_or(none, Vec::as_slice)
        };
        let (a, b) = (first(&t.stem), first(&t.folded));
        let b = if std::ptr::eq(a, b) { none } else { b };
        let mut ids: Vec<u32> = [a, b, &self.anywhere]
            .into_iter()
            .flatten()
            .copied()
            .filter(|&id| word_matches(&self.words[id as usize], t))
            .collect();
        ids.sort_unstable();
        ids
    }
}

/// The number of `w` in [`WORDS`], numbering it if it is new.
pub(super) fn word_id(w: &Word) -> u32 {
    let mut v = WORDS
        .write()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some(id) = v.ids.as_ref().and_then(|ids| ids.get(w)) {
        return *id;
    }
    let id = u32::try_from(v.words.len()).unwrap_or(u32::MAX);
    v.ids
        .get_or_insert_with(FxHashMap::default)
        .insert(w.clone(), id);
    v.words.push(w.clone());
    let first = match w {
        Word::Stem(s) | Word::Prefix(s) => s.as_bytes().first().copied(),
        Word::Negator | Word::Negation(_) => None,
    };
    match first {
        Some(b) => v
            .by_first
            .get_or_insert_with(FxHashMap::default)
            .entry(b)
            .or_default()
            .push(id),
        None => v.anywhere.push(id),
    }
    id
}

/// How many distinct tokens a thread remembers the matched words of ([`TOKEN_WORDS`]).
const TOKENS_REMEMBERED: usize = 20_000;

/// Tokens one thread matched against the whole vocabulary, by folded form (with the stem,
/// checked on each look-up): which cue words each matches, and the vocabulary's size then
/// (a word numbered since is not in it, so a grown vocabulary starts the table again). A learner's words recur from turn to
/// turn and learner to learner, so most tokens of a new text are known.
type TokenWords = (usize, FxHashMap<String, (String, Vec<u32>)>);

thread_local! {
    static TOKEN_WORDS: std::cell::RefCell<TokenWords> = std::cell::RefCell::default();
}

/// Forgets which cue words this thread found each token to match (`TOKEN_WORDS`): for a
/// benchmark of text never seen, word for word.
pub fn forget_token_words() {
    TOKEN_WORDS.with_borrow_mut(|(_, map)| map.clear());
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
    /// How many cue words (the first, by number) `words` holds the tokens of, once
    /// filled ([`WordMemo::fill`]).
    covered: Cell<Option<usize>>,
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

    /// `id`'s value, set by `make` when it has none.
    fn get_or_insert_with(&mut self, id: u32, make: impl FnOnce() -> T) -> &mut T {
        self.insert_with(id, make);
        let k = self.at[id as usize] as usize - 1;
        &mut self.values[k]
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
            let need = term.ids.iter().flat_map(|(ids, _)| ids).max();
            self.fill(tokens, need.copied().unwrap_or(0));
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

    /// Works out the tokens every cue word up to `need` matches, once per text: each
    /// token's matched words come from this thread's [`TOKEN_WORDS`], and a token not there
    /// is matched against the words it may match (by first letter) and remembered. Words
    /// numbered after that (a concept compiled since, say for another concept's reading of
    /// the same text) are matched against every token when a term needs one.
    fn fill(&self, tokens: &[Token], need: u32) {
        let covered = self.covered.get();
        if covered.is_some_and(|c| (need as usize) < c) {
            return;
        }
        let vocab = WORDS
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut words = self.words.borrow_mut();
        let mut found = |id: u32, i: usize| {
            let set = words.get_or_insert_with(id, FixedBitSet::new);
            set.grow(tokens.len());
            set.insert(i);
        };
        match covered {
            Some(from) => {
                for (id, w) in vocab.words.iter().enumerate().skip(from) {
                    let id = u32::try_from(id).unwrap_or(u32::MAX);
                    for (i, t) in tokens.iter().enumerate() {
                        if word_matches(w, t) {
                            found(id, i);
                        }
                    }
                }
            }
            None => TOKEN_WORDS.with_borrow_mut(|(size, known)| {
                if *size != vocab.words.len() || known.len() >= TOKENS_REMEMBERED {
                    known.clear();
                    *size = vocab.words.len();
                }
                for (i, t) in tokens.iter().enumerate() {
                    // The stem is the folded word's, kept to check that it is.
                    let fresh;
                    let ids = match known.get(t.folded.as_str()) {
                        Some((stem, ids)) if *stem == t.stem => ids,
                        _ => {
                            fresh = vocab.matched_by(t);
                            if !known.contains_key(t.folded.as_str()) {
                                known.insert(t.folded.clone(), (t.stem.clone(), fresh.clone()));
                            }
                            &fresh
                        }
                    };
                    for &id in ids {
                        found(id, i);
                    }
                }
            }),
        }
        self.covered.set(Some(vocab.words.len()));
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
