//! Why the rubric read a learner's sentence as it did, for the author's cue tester: the
//! verdict ([`super::RubricAssessor`]) and, next to it, every authored cue that matched
//! a sentence — a checkpoint's cues, its contradictions, a misconception's cues — with
//! the words it matched. Pure.

use serde::Serialize;

use super::cue::{Context, CueMatch, Synonyms, compile, per_sentence, subjects};
use super::rubric::question_of;
use super::text::{fold, stemmer};
use super::{AssessRequest, Assessment, RubricAssessor, Span};

/// What a matched cue argues for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CueRole {
    /// A checkpoint's cue: evidence for it.
    Credits,
    /// A checkpoint's contradiction: the sentence says the opposite.
    Contradicts,
    /// A misconception's cue: the sentence shows the wrong belief.
    Shows,
}

/// One authored cue that matched a sentence of the learner's text.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CueHit {
    /// The checkpoint or misconception the cue belongs to.
    pub owner: String,
    /// What the cue argues for.
    pub role: CueRole,
    /// The cue as authored (`cpu|processor idle`).
    pub cue: String,
    /// Its weight (1.0 unless authored `0.5: …`).
    pub weight: f64,
    /// The learner's words it matched.
    pub evidence: Span,
}

/// The rubric's verdict on a sentence, and the cues behind it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Explained {
    /// The verdict, as a session would get it.
    pub assessment: Assessment,
    /// Every authored cue that matched, in file order (checkpoints, then misconceptions).
    pub hits: Vec<CueHit>,
}

/// Assesses `req` with the rubric and lists the cues that matched. A cue listed may
/// still not credit (its sentence contradicts the checkpoint, or shows a misconception
/// that does): the assessment says what counted.
pub fn explain(req: AssessRequest<'_>) -> Explained {
    let assessment = RubricAssessor::new().assess_now(req);
    let st = stemmer();
    let syn = Synonyms::new(&st, &req.curriculum.synonyms);
    let concept = req.concept;
    let compile_all =
        |cues: &[String]| -> Vec<_> { cues.iter().map(|c| compile(&st, &syn, c)).collect() };
    let checkpoint_cues: Vec<_> = concept
        .checkpoints
        .iter()
        .map(|k| (compile_all(&k.cues), compile_all(&k.contradictions)))
        .collect();
    let misconception_cues: Vec<_> = concept
        .misconceptions
        .iter()
        .map(|m| compile_all(&m.cues))
        .collect();
    let claims: Vec<_> = checkpoint_cues
        .iter()
        .flat_map(|(c, x)| c.iter().chain(x))
        .chain(misconception_cues.iter().flatten())
        .collect();
    let subjects = subjects(&claims);
    let text = fold(&st, req.text);
    let question = req.last_tutor.and_then(|t| question_of(&st, t));
    let context = question.as_ref().map(|q| Context {
        question: q,
        bags: true,
        subjects: &subjects,
    });
    let claim_context = context.map(|c| Context { bags: false, ..c });
    let mut hits = Vec::new();
    let mut add = |owner: &str, role, source: &str, cue, statements, ctx| {
        let first = per_sentence(cue, &text, statements, ctx)
            .into_iter()
            .find_map(|m| match m {
                CueMatch::Credited(start, end) => Some(Span { start, end }),
                _ => None,
            });
        if let Some(evidence) = first {
            hits.push(CueHit {
                owner: owner.to_owned(),
                role,
                cue: source.to_owned(),
                weight: cue.weight,
                evidence,
            });
        }
    };
    for (k, (cues, contradictions)) in concept.checkpoints.iter().zip(&checkpoint_cues) {
        for (source, cue) in k.cues.iter().zip(cues) {
            add(k.id.as_str(), CueRole::Credits, source, cue, true, context);
        }
        for (source, cue) in k.contradictions.iter().zip(contradictions) {
            add(
                k.id.as_str(),
                CueRole::Contradicts,
                source,
                cue,
                false,
                None,
            );
        }
    }
    for (m, cues) in concept.misconceptions.iter().zip(&misconception_cues) {
        for (source, cue) in m.cues.iter().zip(cues) {
            add(
                m.id.as_str(),
                CueRole::Shows,
                source,
                cue,
                false,
                claim_context,
            );
        }
    }
    Explained { assessment, hits }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::ConceptId;
    use crate::testing;

    #[test]
    fn a_credited_sentence_names_the_cue_and_the_words_that_credited_it() {
        let c = testing::async_python();
        let concept = c.concept(&ConceptId::parse("event-loop").unwrap()).unwrap();
        let text = "a heavy calculation freezes everything else, the loop is stuck";
        let e = explain(AssessRequest {
            curriculum: &c,
            concept,
            text,
            last_tutor: None,
        });
        assert!(
            e.assessment
                .covered()
                .iter()
                .any(|id| id.as_str() == "cpu-task-blocks-loop"),
            "{:?}",
            e.assessment
        );
        let hit = e
            .hits
            .iter()
            .find(|h| h.owner == "cpu-task-blocks-loop" && h.role == CueRole::Credits)
            .expect("a cue of the credited checkpoint");
        assert!(
            concept
                .checkpoints
                .iter()
                .any(|k| k.cues.contains(&hit.cue))
        );
        assert!(hit.evidence.quote(text).is_some_and(|q| !q.is_empty()));
    }

    #[test]
    fn a_misconception_is_shown_by_its_cue_and_nothing_matches_small_talk() {
        let c = testing::async_python();
        let concept = c.concept(&ConceptId::parse("event-loop").unwrap()).unwrap();
        let wrong = "the event loop runs all the tasks in parallel on several cores";
        let e = explain(AssessRequest {
            curriculum: &c,
            concept,
            text: wrong,
            last_tutor: None,
        });
        assert!(
            e.hits
                .iter()
                .any(|h| h.role == CueRole::Shows && h.owner == "loop-runs-tasks-in-parallel"),
            "{:?}",
            e.hits
        );
        let none = explain(AssessRequest {
            curriculum: &c,
            concept,
            text: "hello there, nice weather today",
            last_tutor: None,
        });
        assert!(none.hits.is_empty(), "{:?}", none.hits);
        assert!(none.assessment.covered().is_empty());
    }
}
