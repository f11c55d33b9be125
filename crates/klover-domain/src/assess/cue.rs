//! Evidence cues: their syntax, compiled form, and matching against a folded text.
//!
//! ```text
//! cue   := [weight ":"] term (" " term)*      every term must occur in one sentence, any order
//! term  := ["!"] alt ("|" alt)*               "!" = the cue fails if this term occurs
//! alt   := word ("+" word)*                   "+" = adjacent words, in this order
//! word  := letters/digits, optional "*"       "*" = prefix match, no stemming
//! ```
//! Words are folded and stemmed like the learner's text; a word with synonyms in the
//! manifest also matches each synonym; a negator (`not`) matches any negator (`doesn't`,
//! `never`, `no`…), while other negator words (`without`, `nothing`) match as written. A
//! term occurrence preceded in the same clause by a negator the cue did not ask for (from
//! four words before the match up to the occurrence) is negated: "the CPU is not idle"
//! does not match `cpu idle`.

use std::collections::BTreeMap;

use rust_stemmers::Stemmer;

use super::text::{Folded, fold_word, is_negator, stem};

/// How far back (in words) a negator reaches.
const NEGATION_REACH: usize = 4;

/// One word pattern.
#[derive(Debug, Clone, PartialEq)]
enum Word {
    Stem(String),
    Prefix(String),
    /// `not` in a cue: any negator.
    Negator,
    /// Another negator word (`without`, `nothing`, `never`…), matched as written.
    Negation(String),
}

/// A compiled cue.
#[derive(Debug, Clone, PartialEq)]
pub struct Cue {
    /// Score given when the cue matches.
    pub weight: f64,
    terms: Vec<Term>,
}

#[derive(Debug, Clone, PartialEq)]
struct Term {
    exclude: bool,
    alts: Vec<Vec<Word>>,
}

/// The result of matching one cue.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum CueMatch {
    /// Matched, un-negated, in the sentence with this byte span.
    Credited(usize, usize),
    /// Every term occurred, but some only under a negation.
    Negated,
    /// Some term is missing.
    Absent,
}

/// Synonym groups by stem: each stem maps to the phrases (as stem lists) it may stand for.
#[derive(Debug, Clone, Default)]
pub struct Synonyms(BTreeMap<String, Vec<Vec<String>>>);

impl Synonyms {
    /// Builds groups from the manifest's `[synonyms]`: a key and its values are
    /// interchangeable, both ways.
    pub fn new(stemmer: &Stemmer, table: &BTreeMap<String, Vec<String>>) -> Self {
        let mut map: BTreeMap<String, Vec<Vec<String>>> = BTreeMap::new();
        for (key, values) in table {
            let group: Vec<Vec<String>> = std::iter::once(key)
                .chain(values)
                .map(|p| {
                    p.split([' ', '-', '+'])
                        .filter(|w| !w.is_empty())
                        .map(|w| stem(stemmer, &fold_word(w)))
                        .collect::<Vec<_>>()
                })
                .filter(|p| !p.is_empty())
                .collect();
            for phrase in &group {
                if let [single] = phrase.as_slice() {
                    let entry = map.entry(single.clone()).or_default();
                    for p in &group {
                        if !entry.contains(p) {
                            entry.push(p.clone());
                        }
                    }
                }
            }
        }
        Self(map)
    }
}

/// Parses one cue. Malformed parts (empty terms) are skipped; a cue with no term never
/// matches.
pub fn compile(stemmer: &Stemmer, synonyms: &Synonyms, source: &str) -> Cue {
    let (weight, body) = match source.split_once(':') {
        Some((w, rest)) if w.trim().parse::<f64>().is_ok() => {
            (w.trim().parse::<f64>().unwrap_or(1.0).clamp(0.0, 1.0), rest)
        }
        _ => (1.0, source),
    };
    let terms = body
        .split_whitespace()
        .filter_map(|t| compile_term(stemmer, synonyms, t))
        .collect();
    Cue { weight, terms }
}

fn compile_term(stemmer: &Stemmer, synonyms: &Synonyms, src: &str) -> Option<Term> {
    let (exclude, src) = match src.strip_prefix('!') {
        Some(rest) => (true, rest),
        None => (false, src),
    };
    let mut alts: Vec<Vec<Word>> = Vec::new();
    for alt in src.split('|') {
        let words: Vec<Word> = alt
            .split(['+', '-'])
            .filter(|w| !w.is_empty())
            .map(|w| compile_word(stemmer, w))
            .collect();
        if words.is_empty() {
            continue;
        }
        if let [Word::Stem(s)] = words.as_slice()
            && let Some(group) = synonyms.0.get(s)
        {
            for phrase in group {
                let p: Vec<Word> = phrase.iter().cloned().map(Word::Stem).collect();
                if !alts.contains(&p) {
                    alts.push(p);
                }
            }
        }
        if !alts.contains(&words) {
            alts.push(words);
        }
    }
    (!alts.is_empty()).then_some(Term { exclude, alts })
}

fn compile_word(stemmer: &Stemmer, w: &str) -> Word {
    if let Some(p) = w.strip_suffix('*') {
        return Word::Prefix(fold_word(p));
    }
    let folded = fold_word(w);
    if folded == "not" {
        Word::Negator
    } else if is_negator(&folded) {
        Word::Negation(folded)
    } else {
        Word::Stem(stem(stemmer, &folded))
    }
}

fn word_matches(w: &Word, t: &super::text::Token) -> bool {
    match w {
        Word::Stem(s) => &t.stem == s || &t.folded == s,
        Word::Prefix(p) => t.folded.starts_with(p.as_str()),
        Word::Negator => is_negator(&t.folded),
        Word::Negation(w) => &t.folded == w,
    }
}

/// Occurrences of a term among `tokens[range]`: `(first token, length, the alternative
/// that matched holds a negator word)`.
fn occurrences(
    term: &Term,
    f: &Folded,
    range: std::ops::Range<usize>,
) -> Vec<(usize, usize, bool)> {
    let mut out = Vec::new();
    for i in range.clone() {
        for alt in &term.alts {
            let fits = i + alt.len() <= range.end
                && alt
                    .iter()
                    .enumerate()
                    .all(|(k, w)| word_matches(w, &f.tokens[i + k]));
            if fits {
                let negation = alt
                    .iter()
                    .any(|w| matches!(w, Word::Negator | Word::Negation(_)));
                out.push((i, alt.len(), negation));
                break;
            }
        }
    }
    out
}

/// Matches a cue against a folded text, sentence by sentence.
pub fn match_cue(cue: &Cue, f: &Folded) -> CueMatch {
    match_in(cue, f, false)
}

/// Like [`match_cue`], but only in sentences that state something: a hedged sentence or
/// an open question ([`Folded::uncertainty`]) neither credits nor negates. Checkpoints are
/// matched this way; flags, questions and misconceptions with [`match_cue`].
pub fn match_statement(cue: &Cue, f: &Folded) -> CueMatch {
    match_in(cue, f, true)
}

fn match_in(cue: &Cue, f: &Folded, statements_only: bool) -> CueMatch {
    if cue.terms.iter().all(|t| t.exclude) {
        return CueMatch::Absent;
    }
    let mut negated = false;
    for (s, &(start, end)) in f.sentences.iter().enumerate() {
        if statements_only && f.uncertainty.get(s).is_some_and(|u| u.uncertain) {
            continue;
        }
        let first = f.tokens.partition_point(|t| t.sentence < s);
        let last = f.tokens.partition_point(|t| t.sentence <= s);
        match match_sentence(cue, f, first..last) {
            CueMatch::Credited(..) => return CueMatch::Credited(start, end),
            CueMatch::Negated => negated = true,
            CueMatch::Absent => {}
        }
    }
    if negated {
        CueMatch::Negated
    } else {
        CueMatch::Absent
    }
}

fn match_sentence(cue: &Cue, f: &Folded, range: std::ops::Range<usize>) -> CueMatch {
    let mut found: Vec<Vec<(usize, usize, bool)>> = Vec::new();
    for term in &cue.terms {
        let occ = occurrences(term, f, range.clone());
        if term.exclude {
            if !occ.is_empty() {
                return CueMatch::Absent;
            }
            continue;
        }
        if occ.is_empty() {
            return CueMatch::Absent;
        }
        found.push(occ);
    }
    let consumed: Vec<usize> = found
        .iter()
        .flat_map(|occ| occ.iter().flat_map(|&(i, n, _)| i..i + n))
        .collect();
    let start = found
        .iter()
        .filter_map(|occ| occ.first().map(|o| o.0))
        .min()
        .unwrap_or(range.start);
    // An occurrence the cue asked to be negated ("not wait") is free by definition.
    let free = |&(i, _, asks_negation): &(usize, usize, bool)| {
        asks_negation || !negated_at(f, start, i, &consumed)
    };
    let usable: Vec<Vec<(usize, usize)>> = found
        .iter()
        .map(|occ| {
            occ.iter()
                .filter(|o| free(o))
                .map(|&(i, n, _)| (i, n))
                .collect()
        })
        .collect();
    if usable.iter().any(Vec::is_empty) {
        CueMatch::Negated
    } else if disjoint(&usable, &mut Vec::new()) {
        CueMatch::Credited(0, 0)
    } else {
        CueMatch::Absent
    }
}

/// Whether each term can take one of its occurrences with no word used twice: in "not
/// sure what the worker is", `worker` cannot be both `worker` and `work*`.
fn disjoint(terms: &[Vec<(usize, usize)>], used: &mut Vec<usize>) -> bool {
    let Some((first, rest)) = terms.split_first() else {
        return true;
    };
    for &(i, n) in first {
        if (i..i + n).any(|k| used.contains(&k)) {
            continue;
        }
        let mark = used.len();
        used.extend(i..i + n);
        if disjoint(rest, used) {
            return true;
        }
        used.truncate(mark);
    }
    false
}

/// Whether token `i` is under a negator that is not part of the cue's own match: one in
/// the same clause, from [`NEGATION_REACH`] words before the match (which starts at
/// `start`) up to `i`. "Async does not run tasks in parallel" negates `async parallel`.
fn negated_at(f: &Folded, start: usize, i: usize, consumed: &[usize]) -> bool {
    let clause = f.tokens[i].clause;
    (start.min(i).saturating_sub(NEGATION_REACH)..i).any(|k| {
        let t = &f.tokens[k];
        t.clause == clause && is_negator(&t.folded) && !consumed.contains(&k)
    })
}

#[cfg(test)]
mod tests {
    use super::super::text::{fold, stemmer};
    use super::*;

    fn m(cue: &str, text: &str) -> CueMatch {
        let st = stemmer();
        let mut table = BTreeMap::new();
        table.insert(
            "cpu".to_owned(),
            vec!["processor".to_owned(), "the core".to_owned()],
        );
        let syn = Synonyms::new(&st, &table);
        match_cue(&compile(&st, &syn, cue), &fold(&st, text))
    }

    #[test]
    fn stems_and_synonyms_match_paraphrases() {
        assert!(matches!(
            m("cpu idle", "the processors are idling."),
            CueMatch::Credited(..)
        ));
        assert!(matches!(
            m("cpu idle", "The core sits idle"),
            CueMatch::Credited(..)
        ));
        assert!(matches!(
            m("thread share memory", "memory is shared by threads"),
            CueMatch::Credited(..)
        ));
    }

    #[test]
    fn negation_blocks_credit_unless_the_cue_asks_for_it() {
        assert_eq!(m("cpu idle", "the CPU is not idle"), CueMatch::Negated);
        assert_eq!(
            m("thread share memory", "threads don't share memory"),
            CueMatch::Negated
        );
        assert!(matches!(
            m("cpu not work", "the CPU doesn't work"),
            CueMatch::Credited(..)
        ));
        assert!(matches!(
            m("cpu idle", "not fast, but the cpu is idle"),
            CueMatch::Credited(..)
        ));
    }

    #[test]
    fn phrases_prefixes_weights_and_exclusions() {
        let st = stemmer();
        let syn = Synonyms::default();
        assert_eq!(compile(&st, &syn, "0.5: wait").weight, 0.5);
        assert!(matches!(
            m("event+loop", "the event loop"),
            CueMatch::Credited(..)
        ));
        assert_eq!(m("event+loop", "the loop event"), CueMatch::Absent);
        assert!(matches!(
            m("multiproc*", "use multiprocessing"),
            CueMatch::Credited(..)
        ));
        assert_eq!(
            m("thread !process", "threads and processes"),
            CueMatch::Absent
        );
        assert!(matches!(
            m("io wait", "I/O means waiting"),
            CueMatch::Credited(..)
        ));
    }

    #[test]
    fn one_word_cannot_stand_for_two_terms() {
        assert_eq!(m("worker not work*", "not the worker"), CueMatch::Absent);
        assert!(matches!(
            m("worker not work*", "the worker does no work"),
            CueMatch::Credited(..)
        ));
    }

    #[test]
    fn statements_skip_hedged_sentences() {
        let st = stemmer();
        let cue = compile(&st, &Synonyms::default(), "cpu idle");
        let f = fold(&st, "I'm not sure the CPU is idle. Why is the CPU idle?");
        assert!(matches!(match_cue(&cue, &f), CueMatch::Credited(..)));
        assert_eq!(match_statement(&cue, &f), CueMatch::Absent);
        let f = fold(&st, "Not sure. The CPU is idle.");
        assert!(matches!(match_statement(&cue, &f), CueMatch::Credited(..)));
    }

    #[test]
    fn all_terms_must_share_one_sentence() {
        assert_eq!(m("cpu idle", "The CPU. It is idle."), CueMatch::Absent);
    }
}
