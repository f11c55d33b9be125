//! The offline rubric: authored cues matched with folding, stemming, synonyms and
//! negation; plus the turn flags (question, "just tell me", "I don't know", off topic).

use std::collections::BTreeSet;

use rust_stemmers::Stemmer;

use super::cue::{Cue, CueMatch, Synonyms, compile, match_cue};
use super::text::{Folded, fold, is_negator, stemmer};
use super::{AssessRequest, Assessment, AssessmentSource, CheckpointScore, MisconceptionHit, Span};

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
    "stuck",
    "im+lost",
    "confus*",
    "i+not+understand",
    "i+not+get+it",
    "i+have+no+idea",
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

/// Assesses one turn with the authored cues.
pub(super) fn assess(req: &AssessRequest<'_>) -> Assessment {
    let st = stemmer();
    let syn = Synonyms::new(&st, &req.curriculum.synonyms);
    let text = fold(&st, req.text);
    let mut a = Assessment::empty(req.concept);
    a.source = AssessmentSource::Rubric;
    for cp in &req.concept.checkpoints {
        let (score, evidence, negated) = best(&st, &syn, &cp.cues, &text);
        if negated && score == 0.0 {
            a.negated.push(cp.id.clone());
        }
        a.scores
            .insert(cp.id.clone(), CheckpointScore { score, evidence });
    }
    for mc in &req.concept.misconceptions {
        let (score, evidence, _) = best(&st, &syn, &mc.cues, &text);
        if score >= super::COVERED {
            a.misconceptions.push(MisconceptionHit {
                id: mc.id.clone(),
                evidence,
            });
        }
    }
    a.asked_question = is_question(req.text, &text);
    a.asked_for_answer = any_flag(&st, ASKS_FOR_ANSWER, &text);
    a.dont_know = any_flag(&st, DONT_KNOW, &text);
    if a.asked_question {
        a.question = req.concept.questions.iter().position(|q| {
            let (score, _, _) = best(&st, &syn, &q.cues, &text);
            score >= super::COVERED
        });
    }
    let credited = a.scores.values().any(|s| s.score > 0.0) || !a.misconceptions.is_empty();
    a.off_topic = !credited
        && !a.asked_for_answer
        && !a.dont_know
        && a.question.is_none()
        && !text.tokens.is_empty()
        && !on_topic(&st, &syn, req, &text);
    a
}

/// Best score over `cues`, its evidence, and whether some cue was seen negated.
fn best(st: &Stemmer, syn: &Synonyms, cues: &[String], text: &Folded) -> (f64, Option<Span>, bool) {
    let mut out = (0.0, None, false);
    for src in cues {
        let cue: Cue = compile(st, syn, src);
        match match_cue(&cue, text) {
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

fn any_flag(st: &Stemmer, cues: &[&str], text: &Folded) -> bool {
    let syn = Synonyms::default();
    cues.iter().any(|c| {
        matches!(
            match_cue(&compile(st, &syn, c), text),
            CueMatch::Credited(..)
        )
    })
}

fn is_question(raw: &str, text: &Folded) -> bool {
    raw.contains('?')
        || text
            .tokens
            .first()
            .is_some_and(|t| QUESTION_OPENERS.contains(&t.folded.as_str()))
}

/// Whether any content word of the turn belongs to the concept's vocabulary (its cues,
/// title, questions, statements, hints, analogies).
fn on_topic(st: &Stemmer, syn: &Synonyms, req: &AssessRequest<'_>, text: &Folded) -> bool {
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
    for group in req.curriculum.synonyms.iter() {
        add(group.0);
    }
    let _ = syn;
    text.tokens.iter().any(|t| vocab.contains(&t.stem))
}
