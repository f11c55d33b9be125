//! Evidence cues: their syntax, compiled form, and matching against a folded text.
//!
//! ```text
//! cue   := [weight ":"] group (" > " group)*   one group: a bag; several: a claim
//! group := term (" " term)*                     every term must occur, any order
//! term  := ["!"] alt ("|" alt)*                 "!" = the cue fails if this term occurs
//! alt   := word ("+" word)*                     "+" = adjacent words, in this order
//! word  := letters/digits, optional "*"         "*" = prefix match, no stemming
//! ```
//! A **bag** cue matches when its terms all occur in one sentence, in any order. A
//! **claim** (`thread > share*|same > memory`) binds roles: its groups must occur in the
//! written order inside one *clause* (clauses split at commas, `but`, `whereas`, `while`,
//! `so`, `then`, and at an `and` that starts a new claim), so "processes share memory and
//! threads each get their own" does not state `thread > share > memory`.
//!
//! Words are folded and stemmed like the learner's text; a word with synonyms in the
//! manifest also matches each synonym; a negator (`not`) matches any negator (`doesn't`,
//! `never`, `no`…), while other negator words (`without`, `nothing`) match as written. A
//! stem of a longer word also matches the learner's typo of it (one edit from six letters,
//! two from nine; never a negator, never a longer or shorter word with the same start). A
//! term occurrence preceded in the same clause by a negator the cue did not ask for (from
//! four words before the match up to the occurrence) is negated: "the CPU is not idle"
//! does not match `cpu idle`.
//! A phrase opening with "one"/"single" does not match before a distributive ("one thread
//! per task" is many threads; "one thread per process" is still one).
//! Without the question's subject, a claim's clause that opens with a pronoun may take the
//! subject the learner named last (`refers_back`).
//!
//! In the context of the tutor's question ([`Context`]), a bag cue's terms may also be
//! found in that question, as a reader fills in "It goes off to do other tasks" from "What
//! does async do until the reply comes back?"; the learner's sentence must still hold at
//! least half of the terms, one of them not in the question. Only checkpoints are read in
//! context: a misconception's question often words the wrong belief itself.

use std::collections::{BTreeMap, BTreeSet};

use rust_stemmers::Stemmer;

use super::normal::{typo_budget, within_edits};
use super::text::{Folded, Token, fold_word, is_negator, stem};

#[path = "cue_memo.rs"]
mod memo;
pub use memo::WordMemo;
pub use memo::forget_token_words;
use memo::{TERM_IDS, intern, word_id};

/// The stems of the words that can be a claim's subject (its first group), to tell an
/// answer that names its own subject from one that leaves it to the question.
pub fn subjects(cues: &[&Cue]) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for cue in cues.iter().filter(|c| c.claim) {
        for term in cue.terms.iter().filter(|t| t.group == 0 && !t.exclude) {
            for alt in &term.alts {
                for w in alt {
                    if let Word::Stem(s) | Word::Prefix(s) = w {
                        out.insert(s.clone());
                    }
                }
            }
        }
    }
    out
}

/// Pronouns a clause may open with when its subject is left to the tutor's question.
const PRONOUNS: &[&str] = &[
    "they", "it", "its", "them", "these", "those", "this", "that",
];

/// Words that stand for a subject only when a verb follows ("each gets its own copy", not
/// "each process has its own memory").
const DETERMINERS: &[&str] = &["each", "both", "all", "every", "one", "two"];

/// Verbs that may follow such a determiner (besides any `-ing` form).
const VERBS: &[&str] = &[
    "get", "gets", "got", "has", "have", "had", "run", "runs", "use", "uses", "see", "sees",
    "share", "shares", "write", "writes", "read", "reads", "can", "could", "will", "would", "is",
    "are", "do", "does", "keep", "keeps", "hold", "holds", "own", "owns", "need", "needs",
];

/// Whether a clause opens with a stand-in for the question's subject: a pronoun, or
/// `each`/`both`/`all` followed by a verb.
fn elided_subject(clause: &[Token]) -> bool {
    let word = |k: usize| clause.get(k).map(|t| t.folded.as_str());
    match word(0) {
        Some(w) if PRONOUNS.contains(&w) => true,
        Some(w) if DETERMINERS.contains(&w) => {
            word(1).is_some_and(|v| VERBS.contains(&v) || v.ends_with("ing"))
        }
        _ => false,
    }
}

/// How far back (in words) a negator reaches.
const NEGATION_REACH: usize = 4;

/// One word pattern.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum Word {
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
    /// A claim: groups in order inside one clause.
    claim: bool,
    terms: Vec<Term>,
}

impl Cue {
    /// Whether the cue is a claim (roles in order inside one clause).
    pub fn is_claim(&self) -> bool {
        self.claim
    }
}

#[derive(Debug, Clone, PartialEq)]
struct Term {
    exclude: bool,
    /// Which group (role) of a claim the term belongs to; 0 in a bag.
    group: usize,
    alts: Vec<Vec<Word>>,
    /// Per alternative: its words' ids ([`word_id`]), and whether it holds a negator.
    ids: Vec<(Vec<u32>, bool)>,
    /// The number of `alts` in [`TERM_IDS`].
    id: u32,
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

/// The tutor's question a learner's answer is read against.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    /// The folded question (with the sentence before it).
    pub question: &'a Folded,
    /// Whether a bag cue's terms may come from the question; a claim's subject always may.
    pub bags: bool,
    /// Stems that name a subject in the concept's claims (`thread`, `process`…): an answer
    /// that names one of its own before the claim does not elide the question's.
    pub subjects: &'a BTreeSet<String>,
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
/// matches. [`problems`] names what was skipped, for the curriculum checker.
pub fn compile(stemmer: &Stemmer, synonyms: &Synonyms, source: &str) -> Cue {
    let (weight, body) = split_weight(source);
    let groups: Vec<&str> = body.split(" > ").collect();
    let claim = groups.len() > 1;
    let terms = groups
        .iter()
        .enumerate()
        .flat_map(|(g, group)| {
            group
                .split_whitespace()
                .filter_map(move |t| compile_term(stemmer, synonyms, t, g))
        })
        .collect();
    Cue {
        weight: weight.unwrap_or(1.0).clamp(0.0, 1.0),
        claim,
        terms,
    }
}

fn split_weight(source: &str) -> (Option<f64>, &str) {
    match source.split_once(':') {
        Some((w, rest)) => match w.trim().parse::<f64>() {
            Ok(w) => (Some(w), rest),
            Err(_) => (None, source),
        },
        None => (None, source),
    }
}

/// What is wrong with a cue's text, if anything: empty alternatives (`a||b`), a `+` or
/// `-` with nothing beside it, a weight with nothing after it, a number read as a word
/// (`0.3 label` where `0.3: label` was meant), an empty claim role (`a > > b`).
pub fn problems(source: &str) -> Vec<String> {
    let mut out = Vec::new();
    let (weight, body) = split_weight(source);
    if let Some(w) = weight
        && !(0.0..=1.0).contains(&w)
    {
        out.push(format!("weight {w} is outside 0..1"));
    }
    if body.trim().is_empty() {
        out.push("nothing to match after the weight".to_owned());
        return out;
    }
    if let Some(first) = body.split_whitespace().next()
        && first.parse::<f64>().is_ok()
        && weight.is_none()
    {
        out.push(format!(
            "`{first}` reads as a word: write `{first}: …` for a weight"
        ));
    }
    for group in body.split(" > ") {
        if group.trim().is_empty() {
            out.push("an empty role between `>`".to_owned());
        }
        for term in group.split_whitespace() {
            let t = term.strip_prefix('!').unwrap_or(term);
            if t.is_empty() || t == ">" {
                out.push(format!("`{term}` has no word"));
                continue;
            }
            for alt in t.split('|') {
                if alt.is_empty() {
                    out.push(format!(
                        "`{term}` has an empty alternative (`||` or a `|` at an end)"
                    ));
                } else if alt.split(['+', '-']).any(str::is_empty) {
                    out.push(format!("`{alt}` has a `+` or `-` with no word beside it"));
                }
            }
        }
    }
    out
}

/// The cue with its syntax mended, when [`problems`] finds something a mechanical fix
/// settles: `a||b` → `a|b`, `+a` → `a`, `0.3 label` → `0.3: label`, `a > > b` → `a > b`.
/// `None` when the cue is fine or nothing sensible can be guessed (`0.5:` alone).
pub fn repaired(source: &str) -> Option<String> {
    if problems(source).is_empty() {
        return None;
    }
    let (weight, body) = split_weight(source);
    let mut words: Vec<&str> = body.split_whitespace().collect();
    let mut prefix = weight.map(|w| format!("{w}: ")).unwrap_or_default();
    if weight.is_none()
        && let Some(first) = words.first()
        && first.parse::<f64>().is_ok()
    {
        prefix = format!("{first}: ");
        words.remove(0);
    }
    let groups: Vec<String> = words
        .join(" ")
        .split(" > ")
        .map(|group| {
            group
                .split_whitespace()
                .filter(|t| *t != ">")
                .filter_map(mend_term)
                .collect::<Vec<_>>()
                .join(" ")
        })
        .filter(|g| !g.is_empty())
        .collect();
    if groups.is_empty() {
        return None;
    }
    let mended = format!("{prefix}{}", groups.join(" > "));
    (mended != source.trim() && problems(&mended).is_empty()).then_some(mended)
}

/// One term without empty alternatives or dangling `+`/`-`; `None` if nothing is left.
fn mend_term(term: &str) -> Option<String> {
    let (bang, t) = match term.strip_prefix('!') {
        Some(rest) => ("!", rest),
        None => ("", term),
    };
    let alts: Vec<String> = t
        .split('|')
        .map(|alt| {
            alt.split('+')
                .map(|w| w.trim_matches('-'))
                .filter(|w| !w.is_empty())
                .collect::<Vec<_>>()
                .join("+")
        })
        .filter(|a| !a.is_empty())
        .collect();
    (!alts.is_empty()).then(|| format!("{bang}{}", alts.join("|")))
}

fn compile_term(stemmer: &Stemmer, synonyms: &Synonyms, src: &str, group: usize) -> Option<Term> {
    let (exclude, src) = match src.strip_prefix('!') {
        Some(rest) => (true, rest),
        None => (false, src),
    };
    let mut alts: Vec<Vec<Word>> = Vec::new();
    for alt in src.split('|') {
        let words: Vec<Word> = split_alt(alt)
            .iter()
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
    let ids = alts
        .iter()
        .map(|alt| {
            let negation = alt
                .iter()
                .any(|w| matches!(w, Word::Negator | Word::Negation(_)));
            (alt.iter().map(word_id).collect(), negation)
        })
        .collect();
    let id = intern(&TERM_IDS, &alts);
    (!alts.is_empty()).then_some(Term {
        exclude,
        group,
        alts,
        ids,
        id,
    })
}

/// An alternative's words: `+` and `-` separate them, except that a hyphen after a prefix
/// joins (`re-appl*` is `reappl*`), as in the learner's text.
fn split_alt(alt: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for part in alt.split('+') {
        let mut pieces = part.split('-').filter(|w| !w.is_empty());
        while let Some(p) = pieces.next() {
            if super::normal::HYPHEN_PREFIXES.contains(&fold_word(p).as_str())
                && let Some(next) = pieces.next()
            {
                out.push(format!("{p}{next}"));
            } else {
                out.push(p.to_owned());
            }
        }
    }
    out
}

fn compile_word(stemmer: &Stemmer, w: &str) -> Word {
    if let Some(p) = w.strip_suffix('*') {
        return Word::Prefix(super::normal::normalise(&fold_word(p)));
    }
    let folded = super::normal::normalise(&fold_word(w));
    if folded == "not" {
        Word::Negator
    } else if is_negator(&folded) {
        Word::Negation(folded)
    } else {
        Word::Stem(stem(stemmer, &folded))
    }
}

fn word_matches(w: &Word, t: &Token) -> bool {
    match w {
        Word::Stem(s) => &t.stem == s || &t.folded == s || typo_of(s, t),
        // The stem too when it is the prefix itself: `use*` takes "using", `make*` "making".
        Word::Prefix(p) => t.folded.starts_with(p.as_str()) || &t.stem == p || prefix_typo(p, t),
        Word::Negator => is_negator(&t.folded),
        Word::Negation(w) => &t.folded == w,
    }
}

/// Whether the learner's word is a typo of the cue's stem: same first letter, within the
/// typo budget of its length, and not a longer or shorter form of the same word
/// (`processor` is not a typo of `process`).
fn typo_of(cue_stem: &str, t: &Token) -> bool {
    // Cheap rejections first: this runs for every cue word against every learner word.
    if cue_stem.as_bytes().first() != t.stem.as_bytes().first()
        || cue_stem.len() < 4
        || cue_stem.len().abs_diff(t.stem.len()) > 2
    {
        return false;
    }
    let budget = typo_budget(t.folded.chars().count());
    if budget == 0 || is_negator(&t.folded) {
        return false;
    }
    let extension = t.stem.starts_with(cue_stem) || cue_stem.starts_with(t.stem.as_str());
    let budget = if cue_stem.len().abs_diff(t.stem.len()) > 1 {
        1
    } else {
        budget
    };
    // The edits are counted on the stems, so the stem's own length bounds them too: a
    // long word with a short stem ("operation", stem "oper") is no typo of "other".
    let budget = budget.min(typo_budget(cue_stem.len() + 1));
    if extension {
        return false;
    }
    // Snowball turns a final "y" after a consonant into "i" ("memory" → "memori"), so a
    // typo that moves a vowel before it ("memroy") keeps the "y": compare it as "i" too.
    within_edits(cue_stem, &t.stem, budget)
        || (cue_stem.ends_with('i')
            && t.stem.ends_with('y')
            && within_edits(
                &cue_stem[..cue_stem.len() - 1],
                &t.stem[..t.stem.len() - 1],
                budget,
            ))
}

/// A typo inside a long prefix (`serilaiz*` for `serializ*`), one edit at most.
fn prefix_typo(prefix: &str, t: &Token) -> bool {
    let n = prefix.chars().count();
    if n < 6 || is_negator(&t.folded) || t.folded.chars().next() != prefix.chars().next() {
        return false;
    }
    (n.saturating_sub(1)..=n + 1)
        .any(|k| first_chars(&t.folded, k).is_some_and(|head| within_edits(prefix, head, 1)))
}

/// The first `k` characters of `s`, or `None` when it has fewer (a slice: this runs for
/// every long prefix against every learner word of its first letter).
fn first_chars(s: &str, k: usize) -> Option<&str> {
    match s.char_indices().nth(k) {
        Some((end, _)) => Some(&s[..end]),
        None => (s.chars().count() == k).then_some(s),
    }
}

/// One occurrence of a term: (first token, length, the alternative holds a negator).
type Occurrence = (usize, usize, bool);

/// Occurrences of a term among `f.tokens[range]`: `(first token, length, the alternative
/// that matched holds a negator word)`.
///
/// Which tokens a cue word matches is worked out once per text and word
/// ([`WordMemo`]): the same words recur across the cues of a concept, and matching one
/// (stems, synonyms, typos) against every token is what the rubric spends its time on.
fn occurrences(term: &Term, f: &Folded, range: std::ops::Range<usize>) -> Vec<Occurrence> {
    let mut out: Vec<Occurrence> = Vec::new();
    if range.is_empty() {
        return out;
    }
    let hits = f.memo.hits(term, &f.tokens);
    let from = hits.partition_point(|h| h.0 < range.start);
    for &(i, n, negation) in &hits[from..] {
        if i >= range.end {
            break;
        }
        // The first alternative (in the cue's order) that fits before the range's end.
        if out.last().is_some_and(|o| o.0 == i) || i + n > range.end {
            continue;
        }
        out.push((i, n, negation));
    }
    out
}

/// Matches a cue against a folded text, sentence by sentence.
/// Whether one of the cue's terms occurs in `own` by a word `prompt` does not hold ("eight
/// threads", where the prompt says "threads"): the words a learner filled a prompt's
/// blank with carry part of the cue (`assess/blank.rs`).
pub fn adds_a_term(cue: &Cue, own: &Folded, prompt: &Folded) -> bool {
    let new = |k: usize| !prompt.tokens.iter().any(|p| p.stem == own.tokens[k].stem);
    cue.terms.iter().filter(|t| !t.exclude).any(|t| {
        occurrences(t, own, 0..own.tokens.len())
            .iter()
            .any(|&(i, n, _)| (i..i + n).any(new))
    })
}

pub fn match_cue(cue: &Cue, f: &Folded) -> CueMatch {
    fold_results(&per_sentence(cue, f, false, None))
}

/// Like [`match_cue`], but only in sentences that state something: a hedged sentence or
/// an open question ([`Folded::uncertainty`]) neither credits nor negates. Checkpoints are
/// matched this way; flags, questions and misconceptions with [`match_cue`].
pub fn match_statement(cue: &Cue, f: &Folded) -> CueMatch {
    fold_results(&per_sentence(cue, f, true, None))
}

/// The first credited sentence, else `Negated` if any sentence saw the cue negated.
pub fn fold_results(results: &[CueMatch]) -> CueMatch {
    if let Some(c) = results.iter().find(|m| matches!(m, CueMatch::Credited(..))) {
        return *c;
    }
    if results.contains(&CueMatch::Negated) {
        CueMatch::Negated
    } else {
        CueMatch::Absent
    }
}

/// A cue's result per sentence of a text: inline up to eight sentences (a learner's turn
/// rarely has more), since every cue of a concept is read against every turn and most
/// miss it.
pub type PerSentence = smallvec::SmallVec<[CueMatch; 8]>;

/// The cue's result in each sentence of `f` (`statements_only`: hedged sentences and open
/// questions give `Absent`), read in the tutor's question `context` when given.
pub fn per_sentence(
    cue: &Cue,
    f: &Folded,
    statements_only: bool,
    context: Option<Context<'_>>,
) -> PerSentence {
    if cue.terms.iter().all(|t| t.exclude) || cue.terms.iter().any(|t| missing(cue, t, f, context))
    {
        return smallvec::smallvec![CueMatch::Absent; f.sentences.len()];
    }
    let lent = if cue.claim {
        lendable_predicate(cue, context)
    } else {
        None
    };
    f.sentences
        .iter()
        .enumerate()
        .map(|(s, &(start, end))| {
            if statements_only && f.uncertainty.get(s).is_some_and(|u| u.uncertain) {
                return CueMatch::Absent;
            }
            let first = f.tokens.partition_point(|t| t.sentence < s);
            let last = f.tokens.partition_point(|t| t.sentence <= s);
            let m = if cue.claim {
                match_claim(cue, lent.as_ref(), f, first..last, context)
            } else {
                match_terms(cue, f, first..last, context.filter(|c| c.bags))
            };
            match m {
                CueMatch::Credited(..) => CueMatch::Credited(start, end),
                other => other,
            }
        })
        .collect()
}

/// Whether `term` of `cue` is one the cue needs from the learner's own words and occurs
/// nowhere in `f`: then no sentence matches, and none is read (most cues of a concept
/// miss most texts; the memo already knows each term's occurrences in the whole text).
/// Exactly the sentences' own rule: [`match_terms`] finds an own term absent in every
/// range; a claim may lend only its subject (group 0) from the question, and a term the
/// question holds may come from it.
fn missing(cue: &Cue, term: &Term, f: &Folded, context: Option<Context<'_>>) -> bool {
    let own = || match context {
        None => true,
        Some(c) if c.question.tokens.is_empty() => true,
        Some(c) => (!cue.claim || term.group > 0) && !in_question(term, c.question),
    };
    !term.exclude && f.memo.hits(term, &f.tokens).is_empty() && own()
}

/// The claim's subject (its group-0 terms, not excluded).
fn subject(cue: &Cue) -> impl Iterator<Item = &Term> {
    cue.terms.iter().filter(|t| t.group == 0 && !t.exclude)
}

/// The rest of the claim when the question may lend it its subject: every subject term
/// is in the question and topical there (the same for every sentence of a text, so worked
/// out once per cue and text, not per sentence).
fn lendable_predicate(cue: &Cue, context: Option<Context<'_>>) -> Option<Cue> {
    let c = context?;
    let mut subject = subject(cue).peekable();
    subject.peek()?;
    subject
        .all(|t| in_question(t, c.question) && topical(t, c.question))
        .then(|| predicate_of(cue))
}

/// A claim: every group in order inside one clause of the sentence `range`. In the
/// context of a question, the subject (the first group) may be the question's instead:
/// "two, each gets its own copy", answering "…two threads… one copy or two?", says that
/// threads each get their own; the rest of the claim must still be the learner's. `lent`
/// is the cue's [`lendable_predicate`], used where the sentence names no subject term.
fn match_claim(
    cue: &Cue,
    lent: Option<&Cue>,
    f: &Folded,
    range: std::ops::Range<usize>,
    context: Option<Context<'_>>,
) -> CueMatch {
    let full = cue;
    let predicate =
        lent.filter(|_| subject(cue).all(|t| occurrences(t, f, range.clone()).is_empty()));
    let cue = predicate.unwrap_or(cue);
    if cue.terms.iter().all(|t| t.exclude) {
        return CueMatch::Absent;
    }
    let mut negated = false;
    let mut i = range.start;
    while i < range.end {
        let clause = f.tokens[i].clause;
        let j = (i..range.end)
            .find(|&k| f.tokens[k].clause != clause)
            .unwrap_or(range.end);
        // An elided subject stands for "they", "it", "each"…, not for another noun:
        // "no, processes share memory" does not say that threads do.
        // …and only when the answer names no subject of its own before it: in "each
        // process has its own GIL so they can use all cores", "they" is the learner's
        // processes; in "nothing bad really, they're basically free" it is the question's.
        let stands_in = predicate.is_none()
            || (elided_subject(&f.tokens[i..j])
                && context.is_some_and(|c| {
                    f.tokens[range.start..i]
                        .iter()
                        .all(|t| !c.subjects.contains(&t.stem))
                }));
        match match_terms(cue, f, i..j, None) {
            CueMatch::Credited(..) if stands_in => return CueMatch::Credited(0, 0),
            CueMatch::Credited(..) => {}
            CueMatch::Negated => negated = true,
            CueMatch::Absent => {}
        }
        if let Some(c) = context
            && refers_back(full, f, i..j, c.subjects)
        {
            match match_terms(&predicate_of(full), f, i..j, None) {
                CueMatch::Credited(..) => return CueMatch::Credited(0, 0),
                CueMatch::Negated => negated = true,
                CueMatch::Absent => {}
            }
        }
        i = j;
    }
    if negated {
        CueMatch::Negated
    } else {
        CueMatch::Absent
    }
}

/// Words that may open a clause before its pronoun ("…, otherwise they run…").
const CONNECTORS: &[&str] = &[
    "so",
    "and",
    "but",
    "otherwise",
    "then",
    "because",
    "since",
    "as",
    "while",
    "thus",
    "hence",
    "therefore",
    "cause",
    "bc",
    "coz",
];

/// Whether the clause `range` leaves `cue`'s subject to a pronoun that stands for the
/// subject the learner named last: it names none of the cue's subject terms, opens (after
/// a connector) with a pronoun or `each`/`both`/`all` + verb, and the nearest earlier
/// clause of the text that names one of the concept's `subjects` names first a word every
/// subject term of the cue matches. In "the GIL only stops threads clashing, otherwise
/// they run in parallel", "they" are the threads; in "threads live in a process, and they
/// share its memory" they are the threads, not the process.
fn refers_back(
    cue: &Cue,
    f: &Folded,
    range: std::ops::Range<usize>,
    subjects: &BTreeSet<String>,
) -> bool {
    if !cue.claim || range.is_empty() {
        return false;
    }
    let clause = &f.tokens[range.clone()];
    let opens = if clause
        .first()
        .is_some_and(|t| CONNECTORS.contains(&t.folded.as_str()))
    {
        &clause[1..]
    } else {
        clause
    };
    // "It's processes that have…" names its own subject.
    let word = |k: usize| opens.get(k).map_or("", |t| t.folded.as_str());
    let cleft = matches!(word(0), "its" | "thats")
        || (matches!(word(0), "it" | "that") && matches!(word(1), "is" | "was"));
    if cleft || !elided_subject(opens) || subject(cue).next().is_none() {
        return false;
    }
    if subject(cue).any(|t| !occurrences(t, f, range.clone()).is_empty()) {
        return false;
    }
    // The nearest earlier clause that names a subject, and the first one it names.
    let Some(named) = f.tokens[..range.start]
        .iter()
        .rposition(|t| subjects.contains(&t.stem))
    else {
        return false;
    };
    let c = f.tokens[named].clause;
    let first = f.tokens[..=named]
        .iter()
        .position(|t| t.clause == c)
        .unwrap_or(named);
    let Some(antecedent) = (first..=named).find(|&k| subjects.contains(&f.tokens[k].stem)) else {
        return false;
    };
    subject(cue).all(|t| {
        occurrences(t, f, antecedent..antecedent + 1)
            .first()
            .is_some_and(|o| o.0 == antecedent)
    })
}

/// The claim without its subject (its groups after the first).
fn predicate_of(cue: &Cue) -> Cue {
    Cue {
        weight: cue.weight,
        claim: true,
        terms: cue.terms.iter().filter(|t| t.group > 0).cloned().collect(),
    }
}

fn match_terms(
    cue: &Cue,
    f: &Folded,
    range: std::ops::Range<usize>,
    context: Option<Context<'_>>,
) -> CueMatch {
    let mut found: Vec<(usize, Vec<Occurrence>)> = Vec::new();
    let mut from_context = 0usize;
    let mut own_new = false;
    for term in &cue.terms {
        let occ = occurrences(term, f, range.clone());
        if term.exclude {
            if !occ.is_empty() {
                return CueMatch::Absent;
            }
            continue;
        }
        let in_context = context.is_some_and(|c| in_question(term, c.question));
        if occ.is_empty() {
            if in_context {
                from_context += 1;
                continue;
            }
            return CueMatch::Absent;
        }
        own_new |= !in_context;
        found.push((term.group, occ));
    }
    // In context, the learner's own words must carry at least half of the terms and one
    // the question does not hold: the question frames the answer, it cannot be it.
    if from_context > 0 && (!own_new || found.len() < from_context) {
        return CueMatch::Absent;
    }
    let consumed: Vec<usize> = found
        .iter()
        .flat_map(|(_, occ)| occ.iter().flat_map(|&(i, n, _)| i..i + n))
        .collect();
    let start = found
        .iter()
        .filter_map(|(_, occ)| occ.first().map(|o| o.0))
        .min()
        .unwrap_or(range.start);
    // An occurrence the cue asked to be negated ("not wait") is free by definition.
    let free = |&(i, _, asks_negation): &(usize, usize, bool)| {
        asks_negation || !negated_at(f, start, i, &consumed)
    };
    let usable: Vec<(usize, Vec<(usize, usize)>)> = found
        .iter()
        .map(|(g, occ)| {
            let o = occ
                .iter()
                .filter(|o| free(o))
                .map(|&(i, n, _)| (i, n))
                .collect();
            (*g, o)
        })
        .collect();
    let all: Vec<(usize, Vec<(usize, usize)>)> = found
        .iter()
        .map(|(g, occ)| (*g, occ.iter().map(|&(i, n, _)| (i, n)).collect()))
        .collect();
    if usable.iter().any(|(_, o)| o.is_empty()) {
        // Every term is there, but one only under a negation: negated if the words fit
        // together at all (for a claim: in order).
        if assign(&all, &mut Vec::new(), (0, 0, 0)) {
            CueMatch::Negated
        } else {
            CueMatch::Absent
        }
    } else if assign(&usable, &mut Vec::new(), (0, 0, 0)) {
        CueMatch::Credited(0, 0)
    } else {
        CueMatch::Absent
    }
}

/// Whether the question names `term` other than inside an "of" phrase: in "What do the
/// threads of one process have in common?" the subject is the threads; "process" only
/// says whose, so "they share it" does not say that processes share memory.
fn topical(term: &Term, q: &Folded) -> bool {
    occurrences(term, q, 0..q.tokens.len())
        .iter()
        .any(|&(i, _, _)| {
            !q.tokens[i.saturating_sub(2)..i]
                .iter()
                .any(|t| t.folded == "of")
        })
}

/// Whether a term occurs un-negated in the tutor's question (any sentence).
fn in_question(term: &Term, q: &Folded) -> bool {
    let occ = occurrences(term, q, 0..q.tokens.len());
    occ.iter()
        .any(|&(i, _, asks)| asks || !negated_at(q, i, i, &[]))
}

/// Whether each term can take one of its occurrences with no word used twice (in "not
/// sure what the worker is", `worker` cannot be both `worker` and `work*`), and a claim's
/// groups in order: every occurrence of group `g` after every one of the groups before.
/// `bounds` = (current group, end of the groups before it, end so far in this group).
fn assign(
    terms: &[(usize, Vec<(usize, usize)>)],
    used: &mut Vec<usize>,
    bounds: (usize, usize, usize),
) -> bool {
    let Some(((group, first), rest)) = terms.split_first() else {
        return true;
    };
    let (cur, before, so_far) = bounds;
    let floor = if *group > cur {
        so_far.max(before)
    } else {
        before
    };
    for &(i, n) in first {
        if i < floor || (i..i + n).any(|k| used.contains(&k)) {
            continue;
        }
        let mark = used.len();
        used.extend(i..i + n);
        let so_far_here = if *group > cur {
            i + n
        } else {
            so_far.max(i + n)
        };
        if assign(rest, used, (*group, floor, so_far_here)) {
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
        t.clause == clause && f.memo.negator(&f.tokens, k) && !consumed.contains(&k)
    })
}

#[cfg(test)]
#[path = "cue_tests.rs"]
mod tests;
