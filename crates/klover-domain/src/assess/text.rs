//! Text folding for the rubric: tokens with byte offsets, lowercased, apostrophes
//! dropped (`doesn't` → `doesnt`), `I/O` joined to `io`, stemmed (Snowball English);
//! sentences and clauses, and the negators whose scope the rubric checks.
//!
//! Learners type as they chat, so folding also normalises their spelling of a word
//! (`normal.rs`: `til`/`untill` → `until`, `bc` → `because`, `w/o` → `without`,
//! `10k` → `10000`, `re-applies` → `reapplies`, `&` → `and`, `=` → `is`), and an `and`
//! that starts a new claim ("processes share memory *and threads* each get their own")
//! starts a new clause.

use rust_stemmers::{Algorithm, Stemmer};

/// One word of the learner's text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    /// First byte in the original text.
    pub start: usize,
    /// One past the last byte.
    pub end: usize,
    /// Lowercased, apostrophes removed.
    pub folded: String,
    /// Snowball English stem of `folded`.
    pub stem: String,
    /// Index of the sentence the token is in.
    pub sentence: usize,
    /// Index of the clause the token is in (clauses never span sentences).
    pub clause: usize,
}

/// A folded, tokenised text.
#[derive(Debug, Clone)]
pub struct Folded {
    /// The tokens in order.
    pub tokens: Vec<Token>,
    /// Byte span `(start, end)` of each sentence, trimmed.
    pub sentences: Vec<(usize, usize)>,
    /// Per sentence: whether it hedges or asks an open question, so it states nothing,
    /// and whether it asks indirectly (`assess/hedge.rs`).
    pub uncertainty: Vec<super::hedge::Uncertainty>,
    /// Which tokens each cue word matches, worked out once per word (see `cue.rs`).
    pub(crate) memo: super::cue::WordMemo,
}

/// Words that negate what follows them within a clause.
const NEGATORS: &[&str] = &[
    "not", "no", "never", "nothing", "none", "nobody", "neither", "nor", "cannot", "without",
    "dont", "doesnt", "didnt", "isnt", "arent", "wasnt", "werent", "cant", "couldnt", "wont",
    "wouldnt", "shouldnt", "hasnt", "havent", "hadnt", "aint", "nt", "hardly", "barely",
];

/// Words that start a new clause (negation does not cross them).
const CLAUSE_WORDS: &[&str] = &[
    "but",
    "because",
    "since",
    "although",
    "though",
    "while",
    "whereas",
    "however",
    "yet",
    "so",
    "whilst",
    "unlike",
    "instead",
    "then",
    "meanwhile",
    "otherwise",
];

/// Whether a folded word is a negator.
pub fn is_negator(folded: &str) -> bool {
    NEGATORS.contains(&folded)
}

/// The shared English stemmer.
pub fn stemmer() -> Stemmer {
    Stemmer::create(Algorithm::English)
}

/// Lowercases and drops apostrophes.
pub fn fold_word(word: &str) -> String {
    word.chars()
        .filter(|c| !matches!(c, '\'' | '’'))
        .flat_map(char::to_lowercase)
        .collect()
}

/// Stems one folded word. Stems are remembered per thread (at most `STEMS_KEPT`
/// words): the same words recur in every turn, and Snowball was a tenth of a turn's time.
/// The stemmer is always the English one ([`stemmer`]).
pub fn stem(stemmer: &Stemmer, folded: &str) -> String {
    thread_local! {
        static STEMS: std::cell::RefCell<rustc_hash::FxHashMap<String, String>> =
            std::cell::RefCell::new(rustc_hash::FxHashMap::default());
    }
    if let Some(s) = STEMS.with_borrow(|stems| stems.get(folded).cloned()) {
        return s;
    }
    let s = stemmer.stem(folded).into_owned();
    STEMS.with_borrow_mut(|stems| {
        if stems.len() >= STEMS_KEPT {
            stems.clear();
        }
        stems.insert(folded.to_owned(), s.clone());
    });
    s
}

/// Words whose stems a thread remembers (see [`stem`]).
const STEMS_KEPT: usize = 8192;

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric()
}

/// Splits `text` into tokens, sentences and clauses.
pub fn fold(stemmer: &Stemmer, text: &str) -> Folded {
    let mut tokens = Vec::new();
    let mut sentences = Vec::new();
    let (mut sentence, mut clause) = (0usize, 0usize);
    let mut sentence_start: Option<usize> = None;
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if is_word_char(c) {
            let mut end = i + c.len_utf8();
            while let Some(&(j, d)) = chars.peek() {
                let apostrophe_inside = matches!(d, '\'' | '’')
                    && text[j + d.len_utf8()..]
                        .chars()
                        .next()
                        .is_some_and(is_word_char);
                if is_word_char(d) || apostrophe_inside {
                    end = j + d.len_utf8();
                    chars.next();
                } else {
                    break;
                }
            }
            let raw = fold_word(&text[i..end]);
            if join_slash(&mut tokens, &raw, i, end, text) {
                if let Some(prev) = tokens.last_mut()
                    && let Some(n) = super::normal::slash_word(&prev.folded)
                {
                    prev.folded = n.to_owned();
                    prev.stem = stem(stemmer, n);
                }
                continue;
            }
            if super::normal::join_hyphen(&mut tokens, &raw, i, end, text, stemmer)
                || super::normal::join_thousands(&mut tokens, &raw, i, end, text, stemmer)
            {
                continue;
            }
            let folded = super::normal::normalise(&raw);
            if CLAUSE_WORDS.contains(&folded.as_str())
                || (folded == "and"
                    && tokens
                        .iter()
                        .rev()
                        .take_while(|t| t.clause == clause)
                        .count()
                        >= 3
                    && super::normal::and_starts_claim(text, end))
            {
                clause += 1;
            }
            sentence_start.get_or_insert(i);
            let stem = stem(stemmer, &folded);
            tokens.push(Token {
                start: i,
                end,
                folded,
                stem,
                sentence,
                clause,
            });
        } else if matches!(c, '.' | '!' | '?' | '\n') && !text[i + 1..].starts_with('=') {
            let at_end = chars.peek().is_none_or(|&(_, d)| d.is_whitespace());
            if at_end || c == '\n' {
                if let Some(s) = sentence_start.take() {
                    sentences.push((s, i + c.len_utf8()));
                    sentence += 1;
                }
                clause += 1;
            }
        } else if matches!(c, ',' | ';' | ':' | '(' | ')' | '—' | '–') || spaced_dash(text, i, c)
        {
            clause += 1;
        } else if let Some(word) = super::normal::symbol_word(c, text, i) {
            // `&` reads as "and", `=` as "is", `->` as "so" (a new clause).
            if matches!(word, "so" | "and") {
                clause += 1;
            }
            sentence_start.get_or_insert(i);
            tokens.push(Token {
                start: i,
                end: i + c.len_utf8(),
                folded: word.to_owned(),
                stem: stem(stemmer, word),
                sentence,
                clause,
            });
        }
    }
    if let Some(s) = sentence_start {
        sentences.push((s, text.trim_end().len().max(s)));
    }
    let uncertainty = super::hedge::uncertainty(text, &tokens, &sentences);
    super::hedge::rhetorical_negations(stemmer, text, &mut tokens, &sentences);
    Folded {
        tokens,
        sentences,
        uncertainty,
        memo: super::cue::WordMemo::default(),
    }
}

/// A dash between spaces ("…don't - each process…") breaks a clause like a comma; a
/// hyphen inside a word (`I/O-bound`) does not.
fn spaced_dash(text: &str, i: usize, c: char) -> bool {
    c == '-'
        && text[..i].ends_with(char::is_whitespace)
        && text[i + 1..].starts_with(|d: char| d.is_whitespace() || d == '-')
}

/// Joins `i/o`-style pairs of single letters into one token (`io`); true if it did.
fn join_slash(tokens: &mut [Token], folded: &str, start: usize, end: usize, text: &str) -> bool {
    let Some(prev) = tokens.last_mut() else {
        return false;
    };
    let single = |s: &str| s.chars().count() == 1;
    let prev_raw = fold_word(&text[prev.start..prev.end]);
    if single(folded) && single(&prev_raw) && &text[prev.end..start] == "/" {
        prev.folded = format!("{prev_raw}{folded}");
        prev.stem = prev.folded.clone();
        prev.end = end;
        return true;
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_case_apostrophes_and_io() {
        let f = fold(&stemmer(), "Threads DON'T share I/O-bound Memory.");
        let folded: Vec<&str> = f.tokens.iter().map(|t| t.folded.as_str()).collect();
        assert_eq!(
            folded,
            ["threads", "dont", "share", "io", "bound", "memory"]
        );
        assert_eq!(f.tokens[0].stem, "thread");
        assert_eq!(
            &"Threads DON'T share I/O-bound Memory."[f.tokens[3].start..f.tokens[3].end],
            "I/O"
        );
    }

    #[test]
    fn splits_sentences_but_not_code_dots() {
        let text = "It calls requests.get() here. Then it waits! Does it?";
        let f = fold(&stemmer(), text);
        assert_eq!(f.sentences.len(), 3);
        let (s, e) = f.sentences[0];
        assert_eq!(&text[s..e], "It calls requests.get() here.");
    }

    #[test]
    fn clause_words_start_new_clauses() {
        let f = fold(&stemmer(), "not this, but that");
        assert!(f.tokens[0].clause < f.tokens[2].clause);
        assert!(f.tokens[1].clause < f.tokens[3].clause);
    }
}
