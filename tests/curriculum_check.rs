//! `klover curriculum check` on the reference curriculum and on one broken fixture per
//! error kind: the exit code and the message an author would act on.

use std::path::Path;
use std::process::Command;

fn check(dir: &str) -> (bool, String) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let Ok(out) = Command::new(env!("CARGO_BIN_EXE_klover"))
        .args(["curriculum", "check"])
        .arg(root.join(dir))
        .output()
    else {
        return (false, "could not run the klover binary".into());
    };
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

fn assert_broken(fixture: &str, expected: &[&str]) {
    let (ok, text) = check(&format!("tests/fixtures/broken/{fixture}"));
    assert!(!ok, "{fixture} must fail the check, got:\n{text}");
    for e in expected {
        assert!(text.contains(e), "{fixture}: expected `{e}` in:\n{text}");
    }
}

#[test]
fn the_reference_curriculum_passes_the_check() {
    let (ok, text) = check("curriculum/async-python");
    assert!(ok, "reference curriculum must be valid:\n{text}");
    assert!(text.starts_with("ok: async-python"), "{text}");
}

#[test]
fn an_unknown_prerequisite_is_named_with_the_known_ones() {
    assert_broken(
        "unknown-prerequisite",
        &[
            "concepts/01-a.toml:3: prerequisites: unknown prerequisite `does-not-exist`",
            "use the id of an existing concept: a",
        ],
    );
}

#[test]
fn a_cycle_is_printed_as_a_path() {
    assert_broken("cycle", &["prerequisite cycle: a -> b -> c -> a"]);
}

#[test]
fn a_concept_hanging_off_a_cycle_is_unreachable() {
    assert_broken(
        "unreachable",
        &[
            "prerequisite cycle: a -> b -> a",
            "concept `c` is unreachable from any root",
        ],
    );
}

#[test]
fn duplicate_ids_point_at_the_first_definition() {
    assert_broken(
        "duplicate-ids",
        &[
            "02-a-again.toml:1: id: duplicate concept id `a` (first defined at concepts/01-a.toml:1)",
        ],
    );
    assert_broken(
        "duplicate-checkpoint",
        &["duplicate checkpoint id `shared-insight` (first defined at concepts/01-a.toml:8)"],
    );
}

#[test]
fn a_checkpoint_without_cues_or_with_one_hint_is_refused() {
    assert_broken("no-cues", &["checkpoints[0].cues: has no evidence cues"]);
    assert_broken(
        "one-hint",
        &["checkpoints[0].hints: needs at least 2 hints (vague first, then specific), has 1"],
    );
}

#[test]
fn empty_texts_and_bad_ids_are_refused() {
    assert_broken(
        "empty-text",
        &["01-a.toml:4: opening_question: this text is empty"],
    );
    assert_broken(
        "bad-id",
        &["`Event Loop` is not a valid id", "for example `event-loop`"],
    );
}

#[test]
fn an_answer_states_only_checkpoints_of_its_own_concept() {
    assert_broken(
        "question-states",
        &[
            "2 problems",
            "01-a.toml:15: questions[0].states[1]: checkpoint `b-insight` belongs to concept `b`, not `a`",
            "01-a.toml:15: questions[0].states[2]: unknown checkpoint `ghost-insight`",
            "list only checkpoints of this concept that the answer states: a-insight",
        ],
    );
}

#[test]
fn a_misspelt_key_is_an_error_not_silence() {
    assert_broken(
        "unknown-key",
        &[
            "01-a.toml:12: unknown field `wieght`",
            "check the key's spelling",
        ],
    );
}

#[test]
fn toml_syntax_errors_and_a_missing_manifest_are_reported() {
    assert_broken("bad-toml", &["01-a.toml:5:", "fix the TOML syntax"]);
    assert_broken(
        "no-manifest",
        &["the curriculum has no manifest", "create curriculum.toml"],
    );
}

#[test]
fn every_problem_is_reported_in_one_run() {
    assert_broken(
        "many-problems",
        &[
            "4 problems",
            "unknown prerequisite `ghost`",
            "needs at least 2 hints",
            "02-b.toml:2: title: this text is empty",
            "checkpoints[0].cues: has no evidence cues",
        ],
    );
}

#[test]
fn a_missing_folder_says_so() {
    let (ok, text) = check("tests/fixtures/broken/no-such-folder");
    assert!(!ok);
    assert!(text.contains("cannot read curriculum folder"), "{text}");
}

#[test]
fn a_failing_example_is_named_with_its_line_and_what_was_credited_instead() {
    assert_broken(
        "failing-example",
        &[
            "loaded: broken",
            "recall 0.50 (1/2)",
            "concepts/01-a.toml:14: must show `threads-share`: \"the threads all use one heap\" — credited nothing",
            "1 example failed",
        ],
    );
    // A swapped role and a negation are not credited: the counterexamples pass.
    let (_, text) = check("tests/fixtures/broken/failing-example");
    assert!(text.contains("0 of 2 counterexamples credited"), "{text}");
}

#[test]
fn a_tutor_text_that_states_a_checkpoint_is_a_giveaway_unless_declared() {
    assert_broken(
        "giveaway",
        &[
            "concepts/01-a.toml:3: opening_question: states `threads-share`",
            "fix: ask rather than tell",
        ],
    );
    // The analogy says the same words but declares them in `states`: not reported.
    let (_, text) = check("tests/fixtures/broken/giveaway");
    assert!(!text.contains("analogies[0]"), "{text}");
}

#[test]
fn malformed_cues_are_reported_with_the_fix() {
    assert_broken(
        "malformed-cue",
        &[
            "cues[0]: malformed cue `key||insight`",
            "cues[1]: malformed cue `+key`",
            "cues[2]: malformed cue `0.5:`: nothing to match after the weight",
            "cues[3]: malformed cue `0.3 label`: `0.3` reads as a word",
            "cues[4]: malformed cue `key > > insight`",
            "fix: write `key|insight`",
            "fix: write `key` (see",
            "fix: write `0.3: label`",
            "fix: write `key > insight`",
            "fix: write the words to match",
        ],
    );
}

#[test]
fn a_syntax_error_in_one_file_is_not_reported_again_as_an_unknown_prerequisite() {
    assert_broken("no-cascade", &["1 problem:", "01-a.toml:5:"]);
    let (_, text) = check("tests/fixtures/broken/no-cascade");
    assert!(!text.contains("unknown prerequisite"), "{text}");
}

#[test]
fn an_opening_over_the_voice_limits_and_a_hint_that_is_the_statement_are_flagged() {
    assert_broken(
        "voice-limits",
        &[
            "concepts/01-a.toml:4: opening_question: 169 words",
            "opening_question: 3 questions",
            "checkpoints[0].hints[1]: the hint is the checkpoint's statement",
            "fix: ask a question that leads to the idea",
        ],
    );
}
