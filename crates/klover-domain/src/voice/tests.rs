//! Voice tests: every template renders, and each move's words come from the curriculum.

use super::*;

#[test]
fn every_template_compiles() {
    for (name, _) in templates::TEMPLATES {
        assert!(
            env().get_template(name).is_ok(),
            "template {name} does not compile"
        );
    }
}

#[test]
fn a_correction_without_authored_text_states_that_the_belief_is_wrong() {
    use crate::ids::{ConceptId, MisconceptionId};
    let c = crate::testing::small();
    let plan = |level| TutorPlan {
        concept: ConceptId::parse("a").unwrap(),
        moves: vec![Move::Correct {
            misconception: MisconceptionId::parse("m").unwrap(),
            level,
        }],
        focus: None,
        may_state: Vec::new(),
        withhold: Vec::new(),
        again: None,
        act: None,
        wording: 0,
    };
    assert_eq!(
        render(&c, &plan(0), Some("cheese")),
        "Hmm, let's test that. What is the Moon made of?"
    );
    assert_eq!(
        render(&c, &plan(1), Some("cheese")),
        "Not quite. It isn't true that the moon is cheese."
    );
}

#[test]
fn prose_leaves_fenced_code_out() {
    let text = "Look at this:\n\n```python\nasync def f():\n    return 1\n```\n\nWhat's wrong?";
    assert_eq!(prose(text), "Look at this:\n\n\nWhat's wrong?");
    assert_eq!(prose_words(text), 5);
    assert_eq!(prose_words("no code at all here"), 5);
}

#[test]
fn an_answers_gist_leaves_the_handed_back_questions_out() {
    assert_eq!(
        gist("A thread is a to-do list. Now: what do two of them share?"),
        Some("A thread is a to-do list.")
    );
    assert_eq!(
        gist("Each costs 1.5 MB! So? What would 10,000 cost?"),
        Some("Each costs 1.5 MB!")
    );
    assert_eq!(gist("No question here."), Some("No question here."));
    assert_eq!(gist("Only a question?"), None);
}

#[test]
fn a_closing_names_the_next_concept_and_never_reads_a_question_title_as_a_statement() {
    use crate::ids::ConceptId;
    let mut c = crate::testing::tiny();
    let (a, b) = (
        ConceptId::parse("a").unwrap(),
        ConceptId::parse("b").unwrap(),
    );
    let closing = TutorPlan {
        concept: b.clone(),
        moves: vec![
            Move::Summarize { concept: a.clone() },
            Move::Advance {
                from: a,
                to: b.clone(),
            },
        ],
        focus: None,
        may_state: Vec::new(),
        withhold: Vec::new(),
        again: None,
        act: None,
        wording: 0,
    };
    let said = render(&c, &closing, Some("beta"));
    assert!(said.ends_with(". Next: Concept B."), "{said}");
    let at = c.concepts.iter().position(|k| k.id == b).unwrap();
    c.concepts[at].title = "What is a commit?".into();
    let said = render(&c, &closing, Some("beta"));
    assert!(said.ends_with(". On to the next question."), "{said}");
    assert!(!said.contains("?."), "{said}");
}

/// A plan of these moves in concept `concept` of `c`, with this wording.
fn plan_of(concept: &str, moves: Vec<Move>, wording: u32) -> TutorPlan {
    TutorPlan {
        concept: crate::ids::ConceptId::parse(concept).unwrap(),
        moves,
        focus: None,
        may_state: Vec::new(),
        withhold: Vec::new(),
        again: None,
        act: None,
        wording,
    }
}

fn cp(id: &str) -> CheckpointId {
    CheckpointId::parse(id).unwrap()
}

#[test]
fn acknowledgements_and_follow_ups_come_from_the_curriculum_and_the_built_in_variants() {
    let c = crate::testing::async_python();
    let credited = vec![
        cp("sync-waits-for-completion"),
        cp("async-works-while-waiting"),
    ];
    let concept = crate::ids::ConceptId::parse("sync-vs-async").unwrap();
    let (mut acks, mut follow_ups) = (Vec::new(), Vec::new());
    for wording in 0..12 {
        let moves = vec![
            Move::Confirm {
                checkpoints: credited.clone(),
            },
            Move::Pump {
                concept: concept.clone(),
            },
        ];
        let said = render(&c, &plan_of("sync-vs-async", moves, wording), Some("…"));
        let ack = c.voice.acknowledgements.iter().map(String::as_str);
        let ack = ack.chain(templates::ACKNOWLEDGEMENTS.iter().copied());
        acks.extend(ack.filter(|a| said.starts_with(a)).map(str::to_owned));
        let f = c.voice.follow_ups.iter().map(String::as_str);
        let f = f.chain(templates::FOLLOW_UPS.iter().copied());
        follow_ups.extend(f.filter(|q| said.ends_with(q)).map(str::to_owned));
    }
    for authored in c.voice.acknowledgements.iter().chain(&c.voice.follow_ups) {
        let heard = acks.contains(authored) || follow_ups.contains(authored);
        assert!(heard, "the authored variant {authored:?} is never said");
    }
    assert!(
        acks.iter()
            .any(|a| templates::ACKNOWLEDGEMENTS.contains(&a.as_str()))
    );
    assert!(
        follow_ups
            .iter()
            .any(|q| templates::FOLLOW_UPS.contains(&q.as_str()))
    );
}

#[test]
fn an_acknowledgement_names_only_what_the_turn_credited() {
    let c = crate::testing::tiny();
    let a = c
        .concept(&crate::ids::ConceptId::parse("a").unwrap())
        .unwrap();
    // `x` has an authored confirmation (it opens with its own acknowledgement), `y` not.
    let (x, y) = (&a.checkpoints[0], &a.checkpoints[1]);
    let x_said = x.confirmation.as_deref().unwrap();
    for wording in 0..8 {
        let confirm = |id: &CheckpointId| {
            let moves = vec![Move::Confirm {
                checkpoints: vec![id.clone()],
            }];
            plan_of("a", moves, wording)
        };
        let said = render(&c, &confirm(&y.id), Some("beta"));
        let (ack, _) = variants_said(&c, &confirm(&y.id));
        assert_eq!(said, format!("{} {}", ack.unwrap(), y.statement));
        assert!(
            !said.contains(x_said) && !said.contains(&x.statement),
            "{said}"
        );
        let said = render(&c, &confirm(&x.id), Some("alpha"));
        assert_eq!(said, x_said, "an authored confirmation is said as written");
        assert_eq!(variants_said(&c, &confirm(&x.id)), (None, None));
    }
}

#[test]
fn the_chosen_wording_never_repeats_the_last_acknowledgement_or_follow_up() {
    let c = crate::testing::async_python();
    let concept = crate::ids::ConceptId::parse("sync-vs-async").unwrap();
    let moves = vec![
        Move::Confirm {
            checkpoints: vec![
                cp("sync-waits-for-completion"),
                cp("async-works-while-waiting"),
            ],
        },
        Move::Pump { concept },
    ];
    let mut last = LastSaid::default();
    let mut heard: Vec<(Option<String>, Option<String>)> = Vec::new();
    // Any seed, even the same one each turn: the next turn says other words.
    for seed in [0, 0, 0, 5, 5, 1, 2, 2] {
        let mut plan = plan_of("sync-vs-async", moves.clone(), 0);
        plan.wording = choose_wording(&c, &plan, seed, &last);
        note_said(&c, &plan, &mut last);
        let (a, f) = variants_said(&c, &plan);
        heard.push((a.map(str::to_owned), f.map(str::to_owned)));
    }
    for pair in heard.windows(2) {
        assert_ne!(pair[0].0, pair[1].0, "{heard:?}");
        assert_ne!(pair[0].1, pair[1].1, "{heard:?}");
    }
}

#[test]
fn the_checker_refuses_an_acknowledgement_that_asks_and_a_follow_up_that_does_not() {
    use crate::curriculum::{SourceFile, load_sources};
    let manifest = format!(
        "{}[voice]\nacknowledgements = [\"Right?\"]\nfollow_ups = [\"Tell me more.\"]\n",
        crate::testing::MANIFEST
    );
    let files = [
        ("curriculum.toml", manifest.as_str()),
        ("concepts/01-a.toml", crate::testing::TINY_A),
    ]
    .map(|(path, text)| SourceFile {
        path: path.into(),
        text: text.into(),
    });
    let problems = load_sources(&files).unwrap_err().to_string();
    assert!(
        problems.contains("voice.acknowledgements[0]: an acknowledgement asks"),
        "{problems}"
    );
    assert!(
        problems.contains("voice.follow_ups[0]: a follow-up is not one question"),
        "{problems}"
    );
}

#[test]
fn a_voice_variant_that_states_a_checkpoint_is_a_giveaway() {
    let manifest = format!(
        "{}[voice]\nfollow_ups = [\"It is alpha. What else?\", \"What else?\"]\n",
        crate::testing::MANIFEST
    );
    let c = crate::testing::curriculum(&[
        ("curriculum.toml", &manifest),
        ("concepts/01-a.toml", crate::testing::TINY_A),
    ]);
    let found = crate::assess::giveaway::giveaways(&c);
    let voice: Vec<_> = found
        .iter()
        .filter(|g| g.key.starts_with("voice."))
        .collect();
    assert_eq!(voice.len(), 1, "{found:?}");
    assert_eq!(voice[0].key, "voice.follow_ups[0]");
    assert_eq!(voice[0].states, [cp("x")]);
}
