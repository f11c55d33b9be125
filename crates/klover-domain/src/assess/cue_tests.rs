//! Unit tests of cue syntax, compilation and matching (bags, claims, negation, hedges).
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
fn a_claim_binds_its_roles_in_order_inside_one_clause() {
    let claim = "thread > share*|same > memory";
    assert!(matches!(
        m(claim, "threads share memory"),
        CueMatch::Credited(..)
    ));
    assert!(matches!(
        m(claim, "all the threads of a process use the same memory"),
        CueMatch::Credited(..)
    ));
    // Swapped roles, and the words spread over two claims joined by "and".
    assert_eq!(
        m(claim, "memory is the same for processes, not threads"),
        CueMatch::Absent
    );
    assert_eq!(
        m(
            claim,
            "processes share memory and threads each get their own"
        ),
        CueMatch::Absent
    );
    // The bag form of the same words is fooled by the second sentence shape.
    assert!(matches!(
        m(
            "thread share memory",
            "processes share memory and threads each get their own"
        ),
        CueMatch::Credited(..)
    ));
    assert_eq!(m(claim, "threads don't share memory"), CueMatch::Negated);
}

#[test]
fn malformed_cues_are_named() {
    assert!(problems("cpu idle").is_empty());
    assert!(problems("thread > share > memory").is_empty());
    assert_eq!(problems("a||b").len(), 1);
    assert_eq!(problems("0.5:").len(), 1);
    assert_eq!(problems("0.3 label").len(), 1);
    assert!(!problems("+a").is_empty());
}

#[test]
fn malformed_cues_are_mended_when_the_fix_is_mechanical() {
    assert_eq!(repaired("key||insight").as_deref(), Some("key|insight"));
    assert_eq!(repaired("+key").as_deref(), Some("key"));
    assert_eq!(repaired("0.3 label").as_deref(), Some("0.3: label"));
    assert_eq!(
        repaired("key > > insight").as_deref(),
        Some("key > insight")
    );
    assert_eq!(repaired("!|async cpu|").as_deref(), Some("!async cpu"));
    assert_eq!(repaired("event++loop").as_deref(), Some("event+loop"));
    assert_eq!(repaired("0.5:"), None);
    assert_eq!(repaired("cpu idle"), None);
}

#[test]
fn all_terms_must_share_one_sentence() {
    assert_eq!(m("cpu idle", "The CPU. It is idle."), CueMatch::Absent);
}

#[test]
fn a_prefix_also_takes_a_word_whose_stem_it_is() {
    // "using" folds to "using" and stems to "use": `use*` must take it, as it takes "uses".
    assert!(matches!(
        m("async use* thread", "async is using many threads"),
        CueMatch::Credited(..)
    ));
    assert!(matches!(
        m("make* copy", "making a copy"),
        CueMatch::Credited(..)
    ));
    assert_eq!(m("user*", "using threads"), CueMatch::Absent);
}

#[test]
fn a_typo_is_measured_on_the_stems_compared() {
    // "operation" is nine letters but stems to "oper": two edits from "other" is no typo.
    assert_eq!(
        m("async start other", "async starts the operation"),
        CueMatch::Absent
    );
    assert!(matches!(
        m("async start other", "async starts the other one"),
        CueMatch::Credited(..)
    ));
    assert!(matches!(
        m("thread execut*", "the thread excecutes it"),
        CueMatch::Credited(..)
    ));
}

proptest::proptest! {
    /// `first_chars` is the string of the first `k` characters, by its definition.
    #[test]
    fn first_chars_are_the_first_k_characters(s in "\\PC{0,12}", k in 0usize..16) {
        let head: String = s.chars().take(k).collect();
        let expected = (head.chars().count() == k).then_some(head);
        proptest::prop_assert_eq!(first_chars(&s, k).map(str::to_owned), expected);
    }
}

#[test]
fn one_of_something_per_task_is_not_one() {
    let credited = |cue: &str, text: &str| matches!(m(cue, text), CueMatch::Credited(..));
    // "One thread per task" is as many threads as tasks, not a single one.
    assert!(credited(
        "async one+thread task",
        "async runs every task on one thread"
    ));
    assert!(!credited(
        "async one+thread task",
        "async uses one thread per task"
    ));
    assert!(!credited(
        "async one+thread task",
        "async: one thread for each task"
    ));
    assert!(!credited(
        "async single task",
        "async gives a single thread to each task"
    ));
    // An exclusion is not tripped by it either: the belief is still there.
    assert!(credited(
        "async thread task !one+thread",
        "async uses one thread per task"
    ));
    // One per whole (a process, an interpreter) is still one.
    assert!(credited(
        "gil one+thread time",
        "the GIL lets one thread per process run at a time"
    ));
}

#[test]
fn a_typo_before_a_final_y_is_still_a_typo() {
    // "memory" stems to "memori"; "memroy" keeps its "y".
    assert!(matches!(
        m("thread share memory", "threads share the same memroy"),
        CueMatch::Credited(..)
    ));
    assert!(!matches!(
        m("thread share memory", "threads share the same money"),
        CueMatch::Credited(..)
    ));
}

#[test]
fn a_word_compiled_after_a_text_was_matched_is_still_found_in_it() {
    // A text is matched once against every cue word known then (`WordMemo::fill`); a
    // concept compiled later (another concept's reading of the same turn) brings words
    // that text has not been matched against.
    let st = stemmer();
    let syn = Synonyms::default();
    let text = fold(&st, "The quixoticallest scheduler wakes the sleeping task.");
    let first = compile(&st, &syn, "scheduler wake task");
    assert!(matches!(match_cue(&first, &text), CueMatch::Credited(..)));
    // Words no other test or curriculum compiles, so they are numbered only now.
    let later = compile(&st, &syn, "quixoticallest scheduler");
    assert!(matches!(match_cue(&later, &text), CueMatch::Credited(..)));
    let typo = compile(&st, &syn, "quixoticalest");
    assert!(matches!(match_cue(&typo, &text), CueMatch::Credited(..)));
    let absent = compile(&st, &syn, "quixoticallest lantern");
    assert_eq!(match_cue(&absent, &text), CueMatch::Absent);
}

#[test]
fn a_text_reads_the_same_whether_its_words_were_seen_before_or_not() {
    let st = stemmer();
    let syn = Synonyms::default();
    let cues = [
        "scheduler wake task",
        "task not wait",
        "loop run one task",
        "thread share memory",
    ];
    let texts = [
        "The loop runs one task at a time and the schedular wakes it.",
        "Threads don't share memory; the task does not wait.",
    ];
    let read = |forget: bool| -> Vec<CueMatch> {
        let mut out = Vec::new();
        for t in texts {
            if forget {
                forget_token_words();
            }
            let f = fold(&st, t);
            out.extend(cues.iter().map(|c| match_cue(&compile(&st, &syn, c), &f)));
        }
        out
    };
    let cold = read(true);
    let warm = read(false);
    assert_eq!(cold, warm);
    assert!(cold.iter().any(|m| matches!(m, CueMatch::Credited(..))));
    assert!(cold.contains(&CueMatch::Negated));
}
