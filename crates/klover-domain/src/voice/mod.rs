//! The offline voice: the tutor's words for a [`TutorPlan`], rendered from the authored
//! curriculum through minijinja templates ([`templates`]). Short, one question a turn,
//! the seed's tone. The LLM voice (in `prompt`) words the same plan instead.
//!
//! Acknowledgements and follow-ups come from the curriculum's `[voice]` variants and the
//! built-in ones ([`templates::ACKNOWLEDGEMENTS`], [`templates::FOLLOW_UPS`]); the plan's
//! `wording` picks one, and the engine picks the wording so that neither is the one said
//! last ([`choose_wording`]). An acknowledgement only comes with a confirmation, which
//! names what the learner's turn credited: never anything it did not.

pub mod templates;

use std::sync::OnceLock;

use minijinja::{Environment, Value, context};

use crate::assess::act::DialogueAct;
use crate::curriculum::{Concept, Curriculum};
use crate::ids::CheckpointId;
use crate::policy::{Again, LastSaid, Move, TutorPlan};
use templates::{ACKNOWLEDGEMENTS, FOLLOW_UPS};

fn env() -> &'static Environment<'static> {
    static ENV: OnceLock<Environment<'static>> = OnceLock::new();
    ENV.get_or_init(|| {
        let mut env = Environment::new();
        for (name, source) in templates::TEMPLATES {
            // The templates are constants covered by tests; a broken one renders as empty.
            let _ = env.add_template(name, source);
        }
        env
    })
}

fn render_one(name: &str, ctx: Value) -> String {
    env()
        .get_template(name)
        .and_then(|t| t.render(ctx))
        .unwrap_or_default()
}

/// Renders a plan as the tutor's message in a learning session. `learner` is the
/// learner's last text, if any.
pub fn render(curriculum: &Curriculum, plan: &TutorPlan, learner: Option<&str>) -> String {
    render_for(curriculum, plan, learner, false)
}

/// Renders a plan as the tutor's message; `review` is true in a review session, whose
/// `Finish` says that the due cards are done (not that the path is), without a date: the
/// engine does not know when the next card comes due (the server sends that).
pub fn render_for(
    curriculum: &Curriculum,
    plan: &TutorPlan,
    learner: Option<&str>,
    review: bool,
) -> String {
    let mut concept = curriculum.concept(&plan.concept);
    let mut parts: Vec<String> = again(curriculum, plan).into_iter().collect();
    // A greeting is greeted, a remark about the tutor answered, off topic set aside.
    let framing = match plan.act {
        Some(DialogueAct::Greeting) => Some("greeting"),
        Some(DialogueAct::Meta) => Some("meta"),
        Some(DialogueAct::OffTopic) if plan.again.is_none() => Some("off_topic"),
        _ => None,
    };
    let framed = framing.is_some();
    parts.extend(framing.map(|name| render_one(name, context! {})));
    let redirect =
        plan.moves.len() == 1 && matches!(plan.moves[0], Move::Ask { .. }) && learner.is_some();
    for m in &plan.moves {
        if let Move::Advance { from, .. } = m {
            concept = curriculum.concept(from).or(concept);
        }
        let part = match m {
            Move::Ask { concept: id } => curriculum.concept(id).map(|c| {
                let name = match (redirect, framed) {
                    (true, false) => "redirect",
                    _ => "ask",
                };
                let question = plan.review_question(c).unwrap_or(c.opening_question.as_str());
                let review = plan.review_question(c).is_some();
                let opening = learner.is_none();
                render_one(name, context! { title => c.title.as_str(), opening_question => question, review, opening })
            }),
            Move::Summarize { concept: id } => curriculum
                .concept(id)
                .map(|c| render_one("summarize", context! { summary => c.summary.as_str() })),
            Move::Advance { to, .. } => curriculum
                .concept(to)
                .map(|c| {
                    let title = c.title.trim().trim_end_matches('.');
                    let question = title.ends_with('?');
                    let exclaims = title.ends_with('!');
                    render_one("advance", context! { title, question, exclaims })
                }),
            Move::Confirm { checkpoints } => confirm(curriculum, checkpoints, plan),
            Move::Finish if review => Some(render_one("finish_review", context! {})),
            Move::Finish => Some(render_one("finish", context! {})),
            // An answer is always about the plan's concept (after a move to another one).
            Move::Answer { .. } => curriculum
                .concept(&plan.concept)
                .and_then(|c| concept_move(curriculum, c, m, plan)),
            other => checkpoint_concept(curriculum, other)
                .or(concept)
                .and_then(|c| concept_move(curriculum, c, other, plan)),
        };
        if let Some(p) = part.filter(|p| !p.trim().is_empty()) {
            parts.push(p.trim().to_owned());
        }
    }
    parts.join(" ")
}

/// What a plan that avoids repeating the last turn says first (see [`Again`]): the
/// answer's gist when the same question comes again and no analogy rephrases it, or a
/// word that the tutor takes a smaller step after a second off-topic turn.
fn again(curriculum: &Curriculum, plan: &TutorPlan) -> Option<String> {
    match plan.again? {
        Again::Question(i) => {
            let rephrased = plan
                .moves
                .iter()
                .any(|m| matches!(m, Move::Analogy { .. } | Move::Assert { .. }));
            let answer = &curriculum.concept(&plan.concept)?.questions.get(i)?.answer;
            let gist = gist(answer).filter(|_| !rephrased)?;
            Some(render_one("answer_again", context! { gist }))
        }
        // A re-probe by a review question already says "Let's come back to our question".
        Again::OffTopic if plan.moves.iter().any(|m| matches!(m, Move::Ask { .. })) => None,
        Again::OffTopic => Some(render_one("off_topic_again", context! {})),
    }
}

/// An authored answer without the question(s) it hands back: its sentences before the
/// last ones that ask (`None` when nothing is left).
fn gist(answer: &str) -> Option<&str> {
    let mut body = answer.trim();
    while body.ends_with('?') {
        let start = ([". ", "! ", "? "].iter())
            .filter_map(|end| body.rfind(end))
            .max()
            .map_or(0, |i| i + 1);
        body = body[..start].trim_end();
    }
    Some(body).filter(|b| !b.is_empty())
}

/// The prose of a tutor message: its text without fenced code blocks (lines from a line
/// starting with three backticks to the next such line). The voice's rules (at most
/// [`MAX_WORDS`] words, one question) apply to the prose; an authored code example is
/// shown whole, newlines and indentation kept.
pub fn prose(text: &str) -> String {
    let mut in_code = false;
    let mut out = Vec::new();
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            in_code = !in_code;
        } else if !in_code {
            out.push(line);
        }
    }
    out.join("\n")
}

/// Words of prose in a tutor message (see [`prose`]).
pub fn prose_words(text: &str) -> usize {
    prose(text).split_whitespace().count()
}

/// The most words of prose in one offline tutor turn.
pub const MAX_WORDS: usize = 100;

/// The concept of the checkpoint a move is about (an assertion followed by an advance in
/// the same plan is still about the concept left).
fn checkpoint_concept<'c>(curriculum: &'c Curriculum, m: &Move) -> Option<&'c Concept> {
    match m {
        Move::Hint { checkpoint, .. }
        | Move::Prompt { checkpoint }
        | Move::Assert { checkpoint } => curriculum.checkpoint(checkpoint).map(|(c, _)| c),
        _ => None,
    }
}

/// The acknowledgement a confirmation of `ids` in `plan` opens with, if any: before a
/// statement that has no authored confirmation (an authored one opens with its own), or
/// before several checkpoints credited by a first answer (the plan's follow-up asks for
/// more).
fn acknowledgement<'c>(
    c: &'c Curriculum,
    ids: &[CheckpointId],
    plan: &TutorPlan,
) -> Option<&'c str> {
    let (_, cp) = c.checkpoint(ids.last()?)?;
    let first_answer = plan.moves.iter().any(|m| matches!(m, Move::Pump { .. }));
    (cp.confirmation.is_none() || (ids.len() > 1 && first_answer)).then(|| {
        pick(
            &pool(&c.voice.acknowledgements, ACKNOWLEDGEMENTS),
            plan.wording,
        )
    })
}

/// The follow-up a plan's `Pump` asks.
fn follow_up(c: &Curriculum, wording: u32) -> &str {
    pick(&pool(&c.voice.follow_ups, FOLLOW_UPS), wording)
}

/// The curriculum's variants, then the built-in ones not among them.
fn pool<'c>(authored: &'c [String], built_in: &'static [&'static str]) -> Vec<&'c str> {
    let mut out: Vec<&str> = authored.iter().map(String::as_str).collect();
    for b in built_in {
        if !out.contains(b) {
            out.push(b);
        }
    }
    out
}

fn pick<'c>(pool: &[&'c str], wording: u32) -> &'c str {
    match pool.len() {
        0 => "",
        n => pool[wording as usize % n],
    }
}

/// The acknowledgement and the follow-up a plan says, if any (as [`render`] words them).
pub fn variants_said<'c>(
    c: &'c Curriculum,
    plan: &TutorPlan,
) -> (Option<&'c str>, Option<&'c str>) {
    let mut said = (None, None);
    for m in &plan.moves {
        match m {
            Move::Confirm { checkpoints } => said.0 = acknowledgement(c, checkpoints, plan),
            Move::Pump { .. } => said.1 = Some(follow_up(c, plan.wording)),
            _ => {}
        }
    }
    said
}

/// The wording for `plan` ([`TutorPlan::wording`]): the first from `seed` on whose
/// acknowledgement and follow-up both differ from the ones said last, so neither is said
/// twice in a row (both pools hold at least two variants).
pub fn choose_wording(c: &Curriculum, plan: &TutorPlan, seed: u32, last: &LastSaid) -> u32 {
    let differs =
        |now: Option<&str>, before: &Option<String>| now.is_none() || now != before.as_deref();
    let tries = (pool(&c.voice.acknowledgements, ACKNOWLEDGEMENTS).len()
        * pool(&c.voice.follow_ups, FOLLOW_UPS).len()) as u32;
    (0..tries.max(1))
        .map(|k| seed.wrapping_add(k))
        .find(|&w| {
            let mut p = plan.clone();
            p.wording = w;
            let (ack, follow) = variants_said(c, &p);
            differs(ack, &last.acknowledgement) && differs(follow, &last.follow_up)
        })
        .unwrap_or(seed)
}

/// Notes what `plan` said in `last` (what it did not say stays).
pub fn note_said(c: &Curriculum, plan: &TutorPlan, last: &mut LastSaid) {
    let (ack, follow) = variants_said(c, plan);
    if let Some(a) = ack {
        last.acknowledgement = Some(a.to_owned());
    }
    if let Some(f) = follow {
        last.follow_up = Some(f.to_owned());
    }
}

fn confirm(curriculum: &Curriculum, ids: &[CheckpointId], plan: &TutorPlan) -> Option<String> {
    let (_, cp) = curriculum.checkpoint(ids.last()?)?;
    Some(render_one(
        "confirm",
        context! {
            acknowledgement => acknowledgement(curriculum, ids, plan),
            confirmation => cp.confirmation.as_deref(),
            statement => cp.statement.as_str(),
        },
    ))
}

fn concept_move(
    curriculum: &Curriculum,
    c: &Concept,
    m: &Move,
    plan: &TutorPlan,
) -> Option<String> {
    Some(match m {
        Move::Pump { .. } => {
            let confirmed = plan.moves.iter().any(|m| matches!(m, Move::Confirm { .. }));
            let follow_up = follow_up(curriculum, plan.wording);
            render_one("pump", context! { confirmed, follow_up })
        }
        Move::Hint { checkpoint, level } => {
            let cp = c.checkpoint(checkpoint)?;
            let hint = cp.hints.get(*level).or(cp.hints.last())?;
            render_one("hint", context! { hint => hint.as_str() })
        }
        Move::Prompt { checkpoint } => {
            let cp = c.checkpoint(checkpoint)?;
            let prompt = cp.prompt.as_ref().or(cp.hints.last())?;
            render_one("prompt", context! { prompt => prompt.as_str() })
        }
        Move::Assert { checkpoint } => {
            let cp = c.checkpoint(checkpoint)?;
            render_one("assert", context! { statement => cp.statement.as_str() })
        }
        Move::Correct {
            misconception,
            level,
        } => {
            let mc = c.misconception(misconception)?;
            if *level == 0 {
                let contrast = plan.moves.iter().any(|m| matches!(m, Move::Analogy { .. }));
                render_one(
                    "correct_question",
                    context! { question => mc.question.as_str(), contrast },
                )
            } else {
                let ctx = context! { correction => mc.correction.as_deref(), belief => mc.belief.as_str() };
                render_one("correct_statement", ctx)
            }
        }
        Move::Analogy { id } => {
            let an = c.analogies.iter().find(|a| &a.id == id)?;
            let again = matches!(plan.again, Some(Again::Question(_)));
            let name = if again { "analogy_again" } else { "analogy" };
            render_one(name, context! { text => an.text.as_str() })
        }
        Move::Answer { question: Some(i) } => {
            let q = c.questions.get(*i)?;
            render_one("answer", context! { answer => q.answer.as_str() })
        }
        Move::Answer { question: None } => render_one("answer_unknown", context! {}),
        _ => return None,
    })
}

#[cfg(test)]
mod tests;
