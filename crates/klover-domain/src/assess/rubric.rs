//! The offline rubric: authored cues matched with folding, stemming, synonyms and
//! negation; plus the turn flags (question, "just tell me", "I don't know", off topic).

use std::collections::{BTreeSet, HashMap};
use std::hash::{Hash, Hasher};
use std::rc::Rc;
use std::sync::{Arc, Mutex, OnceLock};

use rust_stemmers::Stemmer;

use crate::ids::CheckpointId;

use super::cue::{
    Context, Cue, CueMatch, PerSentence, Synonyms, adds_a_term, compile, match_cue, per_sentence,
};
use super::text::{Folded, fold, is_negator, stemmer};
use super::{
    AssessRequest, Assessment, AssessmentSource, CheckpointScore, Contradiction, MisconceptionHit,
    Span,
};

/// Cues (same syntax as authored ones) for "just tell me the answer".
const ASKS_FOR_ANSWER: &[&str] = &[
    "just+tell+me",
    "tell+me answer|solution",
    "give+me answer|solution",
    "what+is+the+answer",
    "just+say+it",
    "i+give+up",
    "reveal answer",
    "show+me answer|solution",
    "explain+it+to+me",
];

/// Cues for "I don't know" / "I'm stuck".
const DONT_KNOW: &[&str] = &[
    "i+not+know",
    "i+do+not+know",
    "no+idea",
    "no+clue",
    "not+sure",
    "idk",
    "dunno",
    "im+stuck",
    "i+am+stuck",
    "stuck+here",
    "im+lost",
    "confus*",
    "i+not+understand",
    "i+not+get+it",
    "i+have+no+idea",
    "not+remember|recall",
    "forgot*",
    "no+memory",
];

/// A whole turn that only asks to be told ("Tell me.", "OK, just tell me please").
const BARE_TELL_ME: &[&str] = &["tell", "me", "it", "remind"];

/// Words a bare request may carry around it.
const POLITE: &[&str] = &[
    "ok", "okay", "please", "pls", "just", "so", "then", "can", "you", "could", "go", "on", "ahead",
];

/// Words that open a question even without a question mark.
const QUESTION_OPENERS: &[&str] = &[
    "what", "whats", "why", "how", "hows", "which", "who", "does", "do", "is", "are", "can",
    "could", "would", "should", "will", "isnt", "doesnt",
];

/// Words too common to show the learner is on topic.
const STOPWORDS: &[&str] = &[
    "a", "an", "the", "is", "are", "be", "it", "to", "of", "and", "or", "in", "on", "at", "for",
    "i", "you", "we", "they", "this", "that", "what", "why", "how", "do", "doe", "does", "can",
    "so", "if", "then", "than", "as", "with", "by", "from", "has", "have", "was", "were", "its",
    "my", "your", "me", "one", "some", "thing", "just", "like", "about", "when", "there",
];

/// A concept's cues, compiled once (stemming every cue word is most of a turn's cost).
struct Compiled {
    /// Stems that can be a claim's subject in this concept (see [`Context::subjects`]).
    subjects: BTreeSet<String>,
    checkpoints: Vec<CompiledCheckpoint>,
    misconceptions: Vec<Vec<Cue>>,
    questions: Vec<Vec<Cue>>,
    vocabulary: BTreeSet<String>,
}

/// One checkpoint's cues and contradictions.
struct CompiledCheckpoint {
    cues: Vec<Cue>,
    contradictions: Vec<Cue>,
}

/// Compiled concepts by content fingerprint; cleared when it grows past [`CACHE_LIMIT`].
/// Each is compiled once: a thread that asks while another compiles it waits for that
/// (two server threads used to compile the same concept side by side on its first turns).
static CACHE: OnceLock<Mutex<HashMap<u64, Arc<CompiledOnce>>>> = OnceLock::new();

/// A concept's compiled cues, compiled by the first thread that needs them.
type CompiledOnce = OnceLock<Arc<Compiled>>;

/// Compiled concepts kept at most (a handful of curricula in one process).
const CACHE_LIMIT: usize = 512;

/// Assesses one turn with the authored cues.
///
/// Sentence by sentence: a checkpoint is credited by the best cue that matches a stated
/// sentence, unless that sentence also holds one of its contradictions (or one of its
/// claims negated), or shows a misconception that contradicts it. Answers are read in the
/// context of the tutor's last question.
pub(super) fn assess(req: &AssessRequest<'_>) -> Assessment {
    let (st, compiled, text) = prepared(req);
    let text = &*text;
    let mut a = judged(req, &st, &compiled, text);
    flags(req, &st, &compiled, text, &mut a);
    a.act = Some(super::act::classify(req.text, &a, req.curriculum));
    a
}

/// The checkpoints `req.text` covers (`assess(req).covered()`), remembered per thread
/// for the last `RECENT_COVERED` texts: the tutor's own words are read every turn
/// ([`crate::engine::dialogue`]'s echo check), and the same authored texts come back
/// turn after turn and learner after learner.
pub(super) fn covered(req: &AssessRequest<'_>) -> Vec<CheckpointId> {
    let key = scores_key(req);
    let hit = COVERED_BY.with_borrow(|recent| {
        recent
            .iter()
            .find(|(k, t, _)| *k == key && t == req.text)
            .map(|(_, _, c)| c.clone())
    });
    if let Some(c) = hit {
        return c;
    }
    let (st, compiled, text) = prepared(req);
    let c = judged(req, &st, &compiled, &text).covered();
    let entry = (key, req.text.to_owned(), c.clone());
    COVERED_BY.with_borrow_mut(|recent| keep_recent(recent, entry, RECENT_COVERED));
    c
}

/// The checkpoints' scores of [`assess`], without the turn flags and the act (what
/// credit in other concepts reads).
pub(super) fn scores(req: &AssessRequest<'_>) -> Assessment {
    let (st, compiled, text) = prepared(req);
    judged(req, &st, &compiled, &text)
}

/// Which authored question of the concept `req.text` asks: `assess(req).question`
/// without the rest of the assessment (questions in other concepts read only this).
pub(super) fn question(req: &AssessRequest<'_>) -> Option<usize> {
    let (_, compiled, text) = prepared(req);
    asked(req, &compiled, &text)
}

/// What every reading starts from: the stemmer, the concept's compiled cues (cached) and
/// the learner's text folded (from the thread's recent texts).
fn prepared(req: &AssessRequest<'_>) -> (Stemmer, Arc<Compiled>, Rc<Folded>) {
    let st = stemmer();
    let compiled = compiled(&st, req);
    let text = folded(&st, req.text);
    (st, compiled, text)
}

/// Adds `entry` to a thread's recent list, dropping the oldest beyond `limit`.
fn keep_recent<T>(recent: &mut Vec<T>, entry: T, limit: usize) {
    if recent.len() >= limit {
        recent.remove(0);
    }
    recent.push(entry);
}

/// Everything [`assess`] keys its scores on besides the texts: the compiled concept's
/// fingerprint and the ids its contradictions name.
fn scores_key(req: &AssessRequest<'_>) -> u64 {
    let mut h = rustc_hash::FxHasher::default();
    fingerprint(req).hash(&mut h);
    let c = req.concept;
    c.id.hash(&mut h);
    for cp in &c.checkpoints {
        cp.id.hash(&mut h);
    }
    for m in &c.misconceptions {
        m.id.hash(&mut h);
    }
    req.last_tutor.hash(&mut h);
    h.finish()
}

/// Checkpoint scores recently worked out on this thread (see [`covered`]).
const RECENT_COVERED: usize = 8;

thread_local! {
    static COVERED_BY: std::cell::RefCell<Vec<(u64, String, Vec<CheckpointId>)>> =
        const { std::cell::RefCell::new(Vec::new()) };
}

/// Misconceptions, checkpoint scores, contradictions and negations of [`assess`], with
/// the fill-in reading; not the turn flags.
fn judged(req: &AssessRequest<'_>, st: &Stemmer, compiled: &Compiled, text: &Folded) -> Assessment {
    let question = req.last_tutor.and_then(|t| folded_question(st, t));
    // Without a question the context is an empty one: it lends nothing, and it carries
    // the concept's subjects, which a pronoun may stand for (`cue::refers_back`).
    let none = fold(st, "");
    let question = question.as_deref().unwrap_or(&none);
    let context = Some(Context {
        question,
        bags: true,
        subjects: &compiled.subjects,
    });
    // A misconception's bag cues never read the question (it often words the belief
    // itself); its claims may take their subject from it.
    let claim_context = context.map(|c| Context { bags: false, ..c });
    let n = text.sentences.len();
    let mut a = Assessment::empty(req.concept);
    a.source = AssessmentSource::Rubric;
    // Misconceptions first: a sentence that shows one credits none of what it contradicts.
    let mut shown: Vec<Vec<bool>> = Vec::new();
    for (mc, cues) in req
        .concept
        .misconceptions
        .iter()
        .zip(&compiled.misconceptions)
    {
        let mut per = best_per_sentence(cues, text, false, claim_context);
        // A learner asking about a belief ("does async run on several cores?") does not
        // hold it.
        for (p, u) in per.iter_mut().zip(&text.uncertainty) {
            if u.asks || u.disowns {
                *p = (0.0, None);
            }
        }
        let hit: Vec<bool> = per.iter().map(|(w, _)| *w >= super::COVERED).collect();
        if let Some((_, span)) = per.iter().find(|(w, _)| *w >= super::COVERED) {
            a.misconceptions.push(MisconceptionHit {
                id: mc.id.clone(),
                evidence: *span,
            });
        }
        shown.push(hit);
    }
    for (cp, cc) in req.concept.checkpoints.iter().zip(&compiled.checkpoints) {
        // Each cue once, sentence by sentence: credit, negated claims and negation all
        // come from the same results.
        let results: Vec<PerSentence> = cc
            .cues
            .iter()
            .map(|c| per_sentence(c, text, true, context))
            .collect();
        let credit = best_of(&cc.cues, &results, n);
        let disowned = |s: usize| text.uncertainty.get(s).is_some_and(|u| u.disowns);
        let mut contra = vec![false; n];
        for cue in &cc.contradictions {
            for (s, m) in per_sentence(cue, text, false, None).iter().enumerate() {
                // A belief reported and denied contradicts nothing either.
                contra[s] |= matches!(m, CueMatch::Credited(..)) && !disowned(s);
            }
        }
        let authored = contra.clone();
        // A claim of the checkpoint stated negated contradicts it ("threads don't share
        // memory" against `thread > share > memory`).
        for (cue, per) in cc.cues.iter().zip(&results) {
            if cue.is_claim() {
                for (s, m) in per.iter().enumerate() {
                    contra[s] |= *m == CueMatch::Negated;
                }
            }
        }
        let named = |s: usize| {
            req.concept
                .misconceptions
                .iter()
                .zip(&shown)
                .any(|(mc, hit)| hit[s] && mc.contradicts(&cp.id))
        };
        let asks = |s: usize| text.uncertainty.get(s).is_some_and(|u| u.asks);
        // One turn is one answer: a checkpoint is credited by none of its sentences when
        // another holds one of its authored contradictions ("Computation: async too.",
        // "…on a multicore box each core gets its own lock"), as the fill-in reading
        // already does. A sentence that shows a belief contradicting it is that belief's,
        // not the answer's (the policy challenges the belief and confirms the rest); a
        // claim merely negated ("neither threads nor async") blocks only its own sentence.
        let contradicted = (0..n).any(|s| authored[s] && !asks(s) && !named(s));
        // A belief whose author named this checkpoint as one it contradicts, stated in any
        // sentence of the turn, withholds the checkpoint from all of them, as an authored
        // contradiction does: "it waits and does other things… because the tasks run at the
        // same instant on separate threads" has not shown the insight yet (the policy
        // challenges the belief first). A belief with no `contradicts` list blocks only its
        // own sentence.
        let believed = (0..n).any(|s| {
            !asks(s)
                && req
                    .concept
                    .misconceptions
                    .iter()
                    .zip(&shown)
                    .any(|(mc, hit)| hit[s] && mc.contradicts.contains(&cp.id))
        });
        let mut score = (0.0, None);
        for (s, (w, span)) in credit.iter().enumerate() {
            let blocked = contra[s] || contradicted || believed;
            if *w > score.0 && !blocked && !named(s) {
                score = (*w, *span);
            }
        }
        if let Some(s) = (0..n).find(|&s| contra[s] && !named(s) && !asks(s)) {
            let (start, end) = text.sentences[s];
            a.contradictions.push(Contradiction {
                checkpoint: cp.id.clone(),
                evidence: Some(Span { start, end }),
            });
        }
        let negated = results.iter().any(|per| {
            per.contains(&CueMatch::Negated)
                && !per.iter().any(|m| matches!(m, CueMatch::Credited(..)))
        });
        if score.0 == 0.0 && (negated || (0..n).any(|s| contra[s] && !asks(s))) {
            a.negated.push(cp.id.clone());
        }
        a.scores.insert(
            cp.id.clone(),
            CheckpointScore {
                score: score.0,
                evidence: score.1,
            },
        );
    }
    fill_blank(req, text, &mut a);
    a
}

/// Per checkpoint, the best weight of its cues that credit the prompt completed (`full`)
/// where the learner's words carry them: one of the cue's terms is matched there by a word
/// the prompt with its blank left `empty` does not hold ("process id", answering
/// "…threads inside one process share the same ___?", repeats the prompt's word). Also
/// the misconceptions one of whose cues the learner's words carry in the same way.
fn own_words(
    req: &AssessRequest<'_>,
    (full, empty): (&str, &str),
) -> (HashMap<CheckpointId, f64>, BTreeSet<String>) {
    let st = stemmer();
    let compiled = compiled(&st, req);
    let (full, empty) = (fold(&st, full), fold(&st, empty));
    let credits = |cue: &Cue, f: &Folded| {
        per_sentence(cue, f, true, None)
            .iter()
            .any(|m| matches!(m, CueMatch::Credited(..)))
    };
    let mut out = HashMap::new();
    for (cp, cc) in req.concept.checkpoints.iter().zip(&compiled.checkpoints) {
        let best = cc
            .cues
            .iter()
            .filter(|c| credits(c, &full) && adds_a_term(c, &full, &empty))
            .map(|c| c.weight)
            .fold(0.0, f64::max);
        out.insert(cp.id.clone(), best);
    }
    let carried = |c: &Cue| credits(c, &full) && adds_a_term(c, &full, &empty);
    let beliefs = req
        .concept
        .misconceptions
        .iter()
        .zip(&compiled.misconceptions)
        .filter(|(_, cues)| cues.iter().any(carried))
        .map(|(mc, _)| mc.id.to_string())
        .collect();
    (out, beliefs)
}

/// A short answer to a fill-in prompt ("memory", answering "…share the same ___?") also
/// credits what the prompt completed with it states, and shows the beliefs it shows
/// (`assess/blank.rs`), by the cues the learner's words carry (see [`own_words`]): the
/// prompt alone may word a belief ("…how many threads can execute Python code at the
/// same instant?"), which "one" does not hold and "eight" does. Nothing is credited for
/// a checkpoint the answer itself negates or contradicts, or that a belief it shows
/// contradicts; a hedged first sentence fills nothing.
fn fill_blank(req: &AssessRequest<'_>, text: &Folded, a: &mut Assessment) {
    let Some(tutor) = req.last_tutor else {
        return;
    };
    let Some(&(start, end)) = text.sentences.first() else {
        return;
    };
    if text
        .uncertainty
        .first()
        .is_some_and(|u| u.uncertain || u.asks)
    {
        return;
    }
    let Some((full, empty)) = super::blank::completions(tutor, req.text) else {
        return;
    };
    let (own, beliefs) = own_words(req, (&full, &empty));
    let full = assess(&AssessRequest {
        text: &full,
        last_tutor: None,
        ..*req
    });
    let evidence = Some(Span { start, end });
    for hit in &full.misconceptions {
        if beliefs.contains(hit.id.as_str()) && !a.misconceptions.iter().any(|m| m.id == hit.id) {
            a.misconceptions.push(MisconceptionHit {
                id: hit.id.clone(),
                evidence,
            });
        }
    }
    for (id, s) in &full.scores {
        let held = |x: &Assessment| {
            x.negated.contains(id) || x.contradictions.iter().any(|c| &c.checkpoint == id)
        };
        let believed = req
            .concept
            .misconceptions
            .iter()
            .any(|mc| mc.contradicts(id) && a.misconceptions.iter().any(|m| m.id == mc.id));
        let s = s.score.min(own.get(id).copied().unwrap_or(0.0));
        if s > a.score(id) && !held(a) && !held(&full) && !believed {
            a.scores
                .insert(id.clone(), CheckpointScore { score: s, evidence });
        }
    }
}

/// The turn flags: a question (and which authored one), "just tell me", "I don't know",
/// off topic.
fn flags(
    req: &AssessRequest<'_>,
    st: &Stemmer,
    compiled: &Compiled,
    text: &Folded,
    a: &mut Assessment,
) {
    let flags = flag_cues(st);
    let (direct, indirect) = asks(req, text);
    a.asked_for_answer = any_match(&flags.0, text) || bare_tell_me(text);
    a.dont_know = any_match(&flags.1, text);
    a.question = asked(req, compiled, text);
    a.asked_question = direct || (indirect && a.question.is_some());
    let credited = a.scores.values().any(|s| s.score > 0.0)
        || !a.misconceptions.is_empty()
        || !a.contradictions.is_empty();
    a.off_topic = !credited
        && !a.asked_for_answer
        && !a.dont_know
        && a.question.is_none()
        && !text.tokens.is_empty()
        && !text
            .tokens
            .iter()
            .any(|t| compiled.vocabulary.contains(&t.stem));
}

/// Whether the text asks directly (a question mark or opener) and indirectly: "I'm not
/// sure what the worker is" is a question when it matches an authored one, else it stays
/// an "I don't know".
fn asks(req: &AssessRequest<'_>, text: &Folded) -> (bool, bool) {
    let direct = is_question(req.text, text);
    let indirect = text.uncertainty.iter().any(|u| u.embedded_question);
    (direct, indirect)
}

/// The authored question `text` asks, if it asks (directly, or indirectly by matching one).
fn asked(req: &AssessRequest<'_>, compiled: &Compiled, text: &Folded) -> Option<usize> {
    let (direct, indirect) = asks(req, text);
    if !direct && !indirect {
        return None;
    }
    compiled
        .questions
        .iter()
        .position(|cues| best(cues, text, match_question).0 >= super::COVERED)
}

/// Texts folded lately on this thread, with what their matching worked out (see
/// [`super::cue::WordMemo`]): one turn assesses the learner's words against several
/// concepts (its own, [`crate::engine::elsewhere`], questions elsewhere) and the engine
/// reads the same words again (echoes of the tutor, inferences: [`fold_recent`]), and
/// folding and matching words again for each was a good part of a turn's time. Sixteen
/// holds a turn's texts and the quotes of its credits (four held too few: the quotes
/// pushed the learner's words out within a turn).
const RECENT_TEXTS: usize = 16;

/// A recently folded text: the text, whether its question was taken, the result.
type Recent = (String, bool, Option<Rc<Folded>>);

thread_local! {
    static FOLDED: std::cell::RefCell<Vec<Recent>> =
        const { std::cell::RefCell::new(Vec::new()) };
}

/// `text` folded (`question`: its question, see [`question_of`]), from the thread's
/// recent texts or folded now.
fn recent(st: &Stemmer, text: &str, question: bool) -> Option<Rc<Folded>> {
    let hit = FOLDED.with_borrow(|recent| {
        recent
            .iter()
            .find(|(t, q, _)| *q == question && t == text)
            .map(|(_, _, f)| f.clone())
    });
    if let Some(f) = hit {
        return f;
    }
    let f = if question {
        question_of(st, text).map(Rc::new)
    } else {
        Some(Rc::new(fold(st, text)))
    };
    let entry = (text.to_owned(), question, f.clone());
    FOLDED.with_borrow_mut(|recent| keep_recent(recent, entry, RECENT_TEXTS));
    f
}

/// Forgets this thread's recently folded texts (see `RECENT_TEXTS`) and the checkpoints
/// recent texts cover (`RECENT_COVERED`): a benchmark that repeats one text measures a
/// new one each time.
pub fn forget_recent_texts() {
    FOLDED.with_borrow_mut(Vec::clear);
    COVERED_BY.with_borrow_mut(Vec::clear);
}

/// `text` folded, from this thread's recent texts (see [`recent`]): the engine's readings
/// of a turn's words (echoes of the tutor, inferences) share the rubric's fold of them.
pub(crate) fn fold_recent(text: &str) -> Rc<Folded> {
    folded(&stemmer(), text)
}

/// The learner's text folded (see [`recent`]).
fn folded(st: &Stemmer, text: &str) -> Rc<Folded> {
    recent(st, text, false).unwrap_or_else(|| Rc::new(fold(st, text)))
}

/// The tutor's question folded (see [`recent`] and [`question_of`]).
fn folded_question(st: &Stemmer, tutor: &str) -> Option<Rc<Folded>> {
    recent(st, tutor, true)
}

/// The question sentences of the tutor's last message and the sentence just before the
/// first of them ("Two threads use one global. Are they looking at one copy or two?"),
/// folded: the context an answer is read in. `None` when the tutor asked nothing.
pub(super) fn question_of(st: &Stemmer, tutor: &str) -> Option<Folded> {
    let f = fold(st, tutor);
    let sentences: Vec<&str> = f
        .sentences
        .iter()
        .filter_map(|&(s, e)| tutor.get(s..e))
        .collect();
    let first = sentences.iter().position(|s| s.trim_end().ends_with('?'))?;
    let asked: Vec<&str> = sentences
        .iter()
        .enumerate()
        .filter(|&(i, s)| i + 1 == first || s.trim_end().ends_with('?'))
        .map(|(_, s)| *s)
        .collect();
    Some(fold(st, &asked.join(" ")))
}

/// Per sentence: the best weight among `cues` whose `results` credit it, and the span.
fn best_of(cues: &[Cue], results: &[PerSentence], n: usize) -> Vec<(f64, Option<Span>)> {
    let mut out = vec![(0.0, None); n];
    for (cue, per) in cues.iter().zip(results) {
        for (s, m) in per.iter().enumerate() {
            if let CueMatch::Credited(start, end) = *m
                && cue.weight > out[s].0
            {
                out[s] = (cue.weight, Some(Span { start, end }));
            }
        }
    }
    out
}

/// Per sentence: the best weight among `cues` that match it, and the sentence's span.
fn best_per_sentence(
    cues: &[Cue],
    text: &Folded,
    statements_only: bool,
    context: Option<Context<'_>>,
) -> Vec<(f64, Option<Span>)> {
    let mut out = vec![(0.0, None); text.sentences.len()];
    for cue in cues {
        for (s, m) in per_sentence(cue, text, statements_only, context)
            .iter()
            .enumerate()
        {
            if let CueMatch::Credited(start, end) = *m
                && cue.weight > out[s].0
            {
                out[s] = (cue.weight, Some(Span { start, end }));
            }
        }
    }
    out
}

/// The concept's compiled cues, from the cache or freshly compiled.
fn compiled(st: &Stemmer, req: &AssessRequest<'_>) -> Arc<Compiled> {
    let key = fingerprint(req);
    let cache = CACHE.get_or_init(|| Mutex::new(HashMap::new()));
    let cell = {
        let mut map = cache
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if map.len() >= CACHE_LIMIT && !map.contains_key(&key) {
            map.clear();
        }
        Arc::clone(map.entry(key).or_default())
    };
    // Compiled outside the map's lock: other concepts are served meanwhile.
    Arc::clone(cell.get_or_init(|| {
        #[cfg(test)]
        COMPILED
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(key);
        Arc::new(compile_concept(st, req))
    }))
}

/// The fingerprints compiled in this test process, one entry per compilation.
#[cfg(test)]
static COMPILED: Mutex<Vec<u64>> = Mutex::new(Vec::new());

/// A hash of everything the compiled form depends on, so an edited curriculum (even with
/// the same version string) is compiled again.
fn fingerprint(req: &AssessRequest<'_>) -> u64 {
    // FxHash: this runs for every assessment over every cue of the concept, and SipHash
    // made it a tenth of a turn's time; a fingerprint needs no defence against collisions
    // chosen by an attacker (only authors write curricula).
    let mut h = rustc_hash::FxHasher::default();
    req.curriculum.id.hash(&mut h);
    req.curriculum.synonyms.hash(&mut h);
    let c = req.concept;
    c.id.hash(&mut h);
    (&c.title, &c.opening_question, &c.summary).hash(&mut h);
    for cp in &c.checkpoints {
        (&cp.statement, &cp.cues, &cp.hints, &cp.contradictions).hash(&mut h);
    }
    for m in &c.misconceptions {
        (&m.belief, &m.cues, &m.contradicts).hash(&mut h);
    }
    for q in &c.questions {
        q.cues.hash(&mut h);
    }
    for a in &c.analogies {
        a.text.hash(&mut h);
    }
    h.finish()
}

fn compile_concept(st: &Stemmer, req: &AssessRequest<'_>) -> Compiled {
    let syn = Synonyms::new(st, &req.curriculum.synonyms);
    let all = |cues: &[String]| -> Vec<Cue> { cues.iter().map(|c| compile(st, &syn, c)).collect() };
    let c = req.concept;
    let checkpoints: Vec<CompiledCheckpoint> = c
        .checkpoints
        .iter()
        .map(|k| CompiledCheckpoint {
            cues: all(&k.cues),
            contradictions: all(&k.contradictions),
        })
        .collect();
    let misconceptions: Vec<Vec<Cue>> = c.misconceptions.iter().map(|m| all(&m.cues)).collect();
    let claims: Vec<&Cue> = checkpoints
        .iter()
        .flat_map(|k| k.cues.iter().chain(&k.contradictions))
        .chain(misconceptions.iter().flatten())
        .collect();
    Compiled {
        subjects: super::cue::subjects(&claims),
        checkpoints,
        misconceptions,
        questions: c.questions.iter().map(|q| all(&q.cues)).collect(),
        vocabulary: vocabulary(st, req),
    }
}

/// Best score over `cues` (each matched with `matcher`), its evidence, and whether some
/// cue was seen negated.
fn best(
    cues: &[Cue],
    text: &Folded,
    matcher: fn(&Cue, &Folded) -> CueMatch,
) -> (f64, Option<Span>, bool) {
    let mut out = (0.0, None, false);
    for cue in cues {
        match matcher(cue, text) {
            CueMatch::Credited(start, end) if cue.weight > out.0 => {
                out.0 = cue.weight;
                out.1 = Some(Span { start, end });
            }
            CueMatch::Negated => out.2 = true,
            _ => {}
        }
    }
    out
}

/// The compiled "tell me the answer" and "I don't know" cues.
fn flag_cues(st: &Stemmer) -> &'static (Vec<Cue>, Vec<Cue>) {
    static FLAGS: OnceLock<(Vec<Cue>, Vec<Cue>)> = OnceLock::new();
    FLAGS.get_or_init(|| {
        let syn = Synonyms::default();
        let all = |cues: &[&str]| cues.iter().map(|c| compile(st, &syn, c)).collect();
        (all(ASKS_FOR_ANSWER), all(DONT_KNOW))
    })
}

fn any_match(cues: &[Cue], text: &Folded) -> bool {
    cues.iter()
        .any(|c| matches!(match_cue(c, text), CueMatch::Credited(..)))
}

/// An authored learner question matches whatever negation it carries: "why doesn't the
/// worker wait?" and "I'm not sure what the worker is" ask about the worker all the same.
fn match_question(cue: &Cue, text: &Folded) -> CueMatch {
    match match_cue(cue, text) {
        CueMatch::Negated => CueMatch::Credited(0, 0),
        m => m,
    }
}

/// "Tell me." / "Remind me?" on its own: the learner asks to be told.
fn bare_tell_me(text: &Folded) -> bool {
    let words: Vec<&str> = text
        .tokens
        .iter()
        .map(|t| t.folded.as_str())
        .filter(|w| !POLITE.contains(w))
        .collect();
    matches!(words.first(), Some(&"tell" | &"remind"))
        && words.contains(&"me")
        && words.iter().all(|w| BARE_TELL_ME.contains(w))
}

fn is_question(raw: &str, text: &Folded) -> bool {
    raw.contains('?')
        || text
            .tokens
            .first()
            .is_some_and(|t| QUESTION_OPENERS.contains(&t.folded.as_str()))
}

/// The concept's vocabulary (stems of its cues, title, questions, statements, hints,
/// analogies and the curriculum's synonyms): a turn with none of it is off topic.
fn vocabulary(st: &Stemmer, req: &AssessRequest<'_>) -> BTreeSet<String> {
    let c = req.concept;
    let mut vocab: BTreeSet<String> = BTreeSet::new();
    let mut add = |s: &str| {
        for t in fold(st, s).tokens {
            if !STOPWORDS.contains(&t.folded.as_str()) && !is_negator(&t.folded) {
                vocab.insert(t.stem);
            }
        }
    };
    add(&c.title);
    add(&c.opening_question);
    add(&c.summary);
    for cp in &c.checkpoints {
        add(&cp.statement);
        cp.cues
            .iter()
            .chain(&cp.hints)
            .for_each(|s| add(&s.replace(['|', '+'], " ")));
    }
    for m in &c.misconceptions {
        add(&m.belief);
        m.cues.iter().for_each(|s| add(&s.replace(['|', '+'], " ")));
    }
    for a in &c.analogies {
        add(&a.text);
    }
    for key in req.curriculum.synonyms.keys() {
        add(key);
    }
    vocab
}

#[cfg(test)]
mod compile_once {
    use super::*;

    #[test]
    fn threads_that_ask_at_once_compile_a_concept_once() {
        let mut curr = crate::testing::tiny();
        // Content no other test compiles: a fingerprint of its own.
        curr.concepts[0].summary.push_str(" (compiled once)");
        let req = AssessRequest {
            curriculum: &curr,
            concept: &curr.concepts[0],
            text: "the worker waits for the answer",
            last_tutor: None,
        };
        let key = fingerprint(&req);
        let start = std::sync::Barrier::new(4);
        let verdicts: Vec<Assessment> = std::thread::scope(|s| {
            let asked: Vec<_> = (0..4)
                .map(|_| {
                    s.spawn(|| {
                        start.wait();
                        assess(&req)
                    })
                })
                .collect();
            asked.into_iter().map(|t| t.join().unwrap()).collect()
        });
        let compiled = COMPILED
            .lock()
            .unwrap()
            .iter()
            .filter(|k| **k == key)
            .count();
        assert_eq!(compiled, 1, "four threads at once, one compilation");
        assert!(verdicts.windows(2).all(|w| w[0] == w[1]));
    }
}
