//! Uncertain sentences: ones that hedge ("I'm not sure what the worker is", "I don't know
//! whether…", "no idea", "I wonder…") or ask an open question ("Why would it block?").
//! They state nothing, so the rubric credits no checkpoint from them (nor counts them as
//! a negated statement). A yes/no question ("So only one thread runs at a time?") is a
//! tentative answer and still counts, as in the seed — unless the learner does not commit
//! to it: the turn also hedges ("…? not sure") or offers another answer after it ("…? or
//! is it…", "…? maybe it only…"), or within it ("does it share memory or not?").
//!
//! A question that offers a choice ("does async run on several cores, or is it one
//! thread switching?", "…? or is it…") asks rather than tells: it never shows a
//! misconception, however the belief it asks about is worded ([`Uncertainty::asks`]). A
//! question put with an auxiliary verb first ("do processes share memory the way threads
//! do?", "does asyncio use one thread per task?") asks too: it proposes no answer of its
//! own, so it states nothing either (no credit for "do threads share memory?"). A yes/no
//! question that proposes an answer is a tentative answer and shows the belief, as in the
//! seed: a statement put as a question ("So multiprocessing means more GILs?"), a negated
//! auxiliary ("doesn't asyncio use threads?"), a restriction or a reason the learner
//! brings ("Does await only run when the previous dependency is done?", "is it because the
//! CPU sits idle?") — the learner is trying it out. A yes/no question in a turn that
//! hedges ("in CPython, do extra threads put the code on more cores? I'd guess not but not
//! sure") asks too. A belief reported and denied ("People assume async spreads tasks over
//! several cores, but it doesn't", "I used to think…, but…") is disowned: it shows no
//! misconception ([`Uncertainty::disowns`]).

use super::text::{Token, is_negator};

/// Words that hedge on their own.
const HEDGE_WORDS: &[&str] = &[
    "unsure",
    "uncertain",
    "dunno",
    "idk",
    "wonder",
    "wondering",
    "wondered",
    "confused",
    "clueless",
];

/// Words that hedge after a negator within two words: "not (really) sure", "no idea".
const NEGATED_HEDGES: &[&str] = &["sure", "certain", "idea", "clue"];

/// Verbs that hedge after a first-person negation: "I don't (really) know".
const NOT_KNOWING: &[&str] = &["know", "understand", "remember", "recall", "get"];

/// Words that may precede a question word at the start of a sentence ("So why…?").
const LEAD_INS: &[&str] = &[
    "so", "and", "but", "then", "ok", "okay", "well", "hmm", "um", "wait",
];

/// Auxiliary verbs that open a question asked, not a statement put as one ("does it…?").
const AUXILIARIES: &[&str] = &[
    "do", "does", "did", "is", "are", "was", "were", "can", "could", "will", "would", "should",
    "has", "have",
];

/// Words by which a question proposes its own answer: a restriction ("does await only
/// run…?") or a reason ("is it because the CPU sits idle?").
const PROPOSING: &[&str] = &["only", "just", "because", "since", "cause"];

/// Question words that open an open question.
const WH: &[&str] = &[
    "what", "whats", "why", "how", "hows", "which", "who", "where", "when",
];

/// How one sentence stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Uncertainty {
    /// It hedges or asks an open question: it states nothing.
    pub uncertain: bool,
    /// It hedges about a question ("I'm not sure what the worker is"): the learner is
    /// asking, indirectly.
    pub embedded_question: bool,
    /// It asks rather than tells: a question offering a choice ("Does each thread get its
    /// own memory or is it shared?"), in it or in the next sentence ("…? or…"). Such a
    /// sentence shows no misconception.
    pub asks: bool,
    /// It reports a belief of others, or one the learner used to hold, and denies it
    /// ("People assume async spreads tasks over cores, but it doesn't"): it shows no
    /// misconception.
    pub disowns: bool,
}

/// For each sentence of `text`, how uncertain it is (see the module docs).
pub(super) fn uncertainty(
    text: &str,
    tokens: &[Token],
    sentences: &[(usize, usize)],
) -> Vec<Uncertainty> {
    let mut asked = Vec::new();
    let mut out: Vec<Uncertainty> = sentences
        .iter()
        .enumerate()
        .map(|(s, &(start, end))| {
            let first = tokens.partition_point(|t| t.sentence < s);
            let last = tokens.partition_point(|t| t.sentence <= s);
            let words: Vec<&str> = tokens[first..last]
                .iter()
                .map(|t| t.folded.as_str())
                .collect();
            let asks = text
                .get(start..end)
                .is_some_and(|t| t.trim_end().ends_with('?'));
            let hedge = hedge_at(&words);
            let embedded_question = hedge.is_some_and(|i| {
                words[i + 1..]
                    .iter()
                    .any(|w| WH.contains(w) || matches!(*w, "whether" | "if"))
            });
            let offers_choice = asks && words.contains(&"or");
            let asked_plainly = asks
                && opens_with(&words, AUXILIARIES)
                && !words.iter().any(|w| PROPOSING.contains(w));
            asked.push((asks, hedge.is_some(), alternative(&words)));
            Uncertainty {
                uncertain: hedge.is_some()
                    || (asks && (opens_with_wh(&words) || offers_choice || asked_plainly)),
                embedded_question,
                asks: offers_choice || asked_plainly,
                disowns: disowns(&words) || text.get(start..end).is_some_and(quoted_and_denied),
            }
        })
        .collect();
    // A yes/no question is a tentative answer ("So multiprocessing means more GILs?"),
    // unless the learner does not commit to it: the turn hedges somewhere ("…? not
    // sure") or offers another answer after it ("…? or is it…", "…? maybe it only…?").
    let hedged = asked.iter().any(|&(_, h, _)| h);
    for (i, u) in out.iter_mut().enumerate() {
        let yes_no = asked[i].0 && !u.uncertain;
        let other_answer = asked[i + 1..].iter().any(|&(_, _, alt)| alt);
        if yes_no && (hedged || other_answer) {
            u.uncertain = true;
        }
        // A yes/no question the learner does not commit to ("…? I'd guess not but not
        // sure") asks, too: it holds no belief.
        if asked[i].0 && (other_answer || (hedged && !asked[i].1)) {
            u.asks = true;
        }
    }
    out
}

/// Who may hold a belief the learner reports ("people", "many", "I used to").
const HOLDERS: &[&str] = &[
    "people",
    "many",
    "most",
    "some",
    "everyone",
    "everybody",
    "folks",
    "beginners",
    "newbies",
    "they",
    "lots",
    "somebody",
    "someone",
    "used",
    "friend",
    "friends",
    "colleague",
    "colleagues",
    "coworker",
    "coworkers",
    "teacher",
];

/// Verbs that report a belief.
const REPORTING: &[&str] = &[
    "think", "thinks", "thought", "assume", "assumes", "assumed", "believe", "believes",
    "believed", "say", "says", "said", "claim", "claims", "claimed", "expect", "expects",
    "expected", "imagine", "imagined", "told", "tell", "tells", "reckon", "reckons",
];

/// Verbs of seeming: "threads feel free…, but they aren't" reports an appearance and
/// denies it, with no holder named.
const APPEARANCES: &[&str] = &[
    "feel", "feels", "felt", "seem", "seems", "seemed", "look", "looks", "looked", "appear",
    "appears", "appeared",
];

/// What may follow "but that's" and confirm the report rather than correct it.
const CONFIRMING: &[&str] = &[
    "true", "right", "correct", "exactly", "so", "fine", "good", "why", "how", "what",
];

/// Words by which a sentence denies what it reported.
const DENIALS: &[&str] = &[
    "wrong",
    "false",
    "untrue",
    "myth",
    "misconception",
    "mistaken",
];

/// Whether a sentence reports a belief (a holder, or the learner's own "I used to" or "I
/// thought", then within three words a reporting verb) and then denies it: "but" followed within three words by a negator, or a word
/// of denial after the report.
fn disowns(words: &[&str]) -> bool {
    let denied_by_but = |rest: &[&str]| {
        rest.iter().enumerate().any(|(i, w)| {
            *w == "but"
                && rest[i + 1..(i + 4).min(rest.len())]
                    .iter()
                    .any(|n| is_negator(n))
        })
    };
    // "Threads feel free when you start five, but they aren't."
    if let Some(seeming) = words.iter().position(|w| APPEARANCES.contains(w))
        && denied_by_but(&words[seeming + 1..])
    {
        return true;
    }
    let Some(report) = words.iter().enumerate().position(|(i, w)| {
        let before = &words[i.saturating_sub(3)..i];
        REPORTING.contains(w)
            && (before.iter().any(|h| HOLDERS.contains(h))
                || (before.last() == Some(&"i") && (w.ends_with("ed") || *w == "thought")))
    }) else {
        return false;
    };
    let rest = &words[report + 1..];
    // "People say threads each get their own memory, but that's processes."
    let corrected = rest
        .windows(3)
        .any(|w| w[0] == "but" && matches!(w[1], "thats" | "those") && !CONFIRMING.contains(&w[2]));
    rest.iter().any(|w| DENIALS.contains(w)) || denied_by_but(rest) || corrected
}

/// Whether a sentence quotes a belief and then denies it: `none, which is why "async
/// makes everything faster" is a myth`.
fn quoted_and_denied(sentence: &str) -> bool {
    let Some(close) = sentence.rfind(['"', '\u{201c}', '\u{201d}']) else {
        return false;
    };
    let opened = sentence[..close].contains(['"', '\u{201c}', '\u{201d}']);
    opened
        && sentence[close..]
            .split(|c: char| !c.is_alphanumeric())
            .any(|w| DENIALS.contains(&w.to_lowercase().as_str()))
}

/// Negated auxiliaries and the auxiliary they negate.
const NEGATED_AUXILIARIES: &[(&str, &str)] = &[
    ("isnt", "is"),
    ("arent", "are"),
    ("wasnt", "was"),
    ("werent", "were"),
    ("doesnt", "does"),
    ("dont", "do"),
    ("didnt", "did"),
    ("cant", "can"),
    ("couldnt", "could"),
    ("wont", "will"),
    ("wouldnt", "would"),
    ("shouldnt", "should"),
    ("hasnt", "has"),
    ("havent", "have"),
];

/// A question opened by a negated auxiliary proposes what follows ("isn't async just
/// spreading the work over all the cores?", "doesn't asyncio use a thread per task?"):
/// the learner holds it, so that negator negates nothing and reads as the auxiliary.
/// Only at the head of a clause (after a lead-in: "…, but isn't it…?") of a sentence
/// ending in `?`; whether the sentence asks was judged before, on the words as written.
pub(super) fn rhetorical_negations(
    stemmer: &rust_stemmers::Stemmer,
    text: &str,
    tokens: &mut [Token],
    sentences: &[(usize, usize)],
) {
    let asks = |s: usize| {
        sentences
            .get(s)
            .and_then(|&(start, end)| text.get(start..end))
            .is_some_and(|t| t.trim_end().ends_with('?'))
    };
    let mut head = true;
    for k in 0..tokens.len() {
        if k > 0 && tokens[k].clause != tokens[k - 1].clause {
            head = true;
        }
        let t = &tokens[k];
        if !head || LEAD_INS.contains(&t.folded.as_str()) {
            continue;
        }
        head = false;
        let positive = NEGATED_AUXILIARIES
            .iter()
            .find(|(neg, _)| *neg == t.folded)
            .map(|&(_, aux)| aux);
        if let Some(aux) = positive
            && asks(t.sentence)
        {
            tokens[k].folded = aux.to_owned();
            tokens[k].stem = super::text::stem(stemmer, aux);
        }
    }
}

/// Whether a sentence offers another answer: it opens with "or", or it is "maybe …".
fn alternative(words: &[&str]) -> bool {
    matches!(words.first(), Some(&"or" | &"maybe" | &"perhaps"))
}

/// Where the words of one sentence hedge, if they do.
fn hedge_at(words: &[&str]) -> Option<usize> {
    let negated_before = |i: usize, reach: usize| {
        words[i.saturating_sub(reach)..i]
            .iter()
            .any(|w| is_negator(w))
    };
    // "hard to say", "difficult to tell": the learner declines to commit.
    let hard_to_say = |i: usize| {
        matches!(words.get(i + 1..i + 3), Some(&["to", "say" | "tell"]))
            && matches!(words[i], "hard" | "difficult" | "impossible")
    };
    words.iter().enumerate().position(|(i, w)| {
        HEDGE_WORDS.contains(w)
            || hard_to_say(i)
            || (NEGATED_HEDGES.contains(w) && negated_before(i, 2))
            || (NOT_KNOWING.contains(w) && negated_before(i, 2) && first_person(words, i))
    })
}

/// Whether "I" or "we" comes within four words before word `i`.
fn first_person(words: &[&str], i: usize) -> bool {
    words[i.saturating_sub(4)..i]
        .iter()
        .any(|w| matches!(*w, "i" | "im" | "we" | "ive"))
}

fn opens_with_wh(words: &[&str]) -> bool {
    opens_with(words, WH)
}

/// Whether the first word after any lead-ins is one of `openers`.
fn opens_with(words: &[&str], openers: &[&str]) -> bool {
    words
        .iter()
        .find(|w| !LEAD_INS.contains(w))
        .is_some_and(|w| openers.contains(w))
}

#[cfg(test)]
mod tests {
    use super::super::text::{fold, stemmer};

    fn uncertain(text: &str) -> Vec<bool> {
        fold(&stemmer(), text)
            .uncertainty
            .iter()
            .map(|u| u.uncertain)
            .collect()
    }

    #[test]
    fn a_hedge_about_a_question_is_an_indirect_question() {
        let asks = |text: &str| fold(&stemmer(), text).uncertainty[0].embedded_question;
        assert!(asks("I am not sure what the worker is."));
        assert!(asks("I don't know whether it blocks."));
        assert!(!asks("I'm not sure."));
        assert!(
            !asks("What does it do?"),
            "a direct question is not an indirect one"
        );
    }

    #[test]
    fn hedges_and_open_questions_are_uncertain() {
        for text in [
            "I am not sure what the worker is.",
            "Not really sure the CPU is idle",
            "I don't know whether it blocks.",
            "No idea what the loop does.",
            "I wonder if everything pauses.",
            "I dunno.",
            "So why would the loop freeze?",
            "I don't get how await works.",
        ] {
            assert_eq!(uncertain(text), [true], "{text}");
        }
    }

    #[test]
    fn statements_and_yes_no_questions_are_not() {
        for text in [
            "Or maybe the job itself doesn't require the worker.",
            "So you mean only 1 thread can execute code at one time?",
            "When a task waits, the loop picks up the next one.",
            "The loop doesn't know how long a task takes.",
            "Sure, the CPU is idle.",
        ] {
            assert_eq!(uncertain(text), [false], "{text}");
        }
    }

    #[test]
    fn a_yes_no_question_the_learner_does_not_commit_to_states_nothing() {
        for text in [
            "do threads share memory? i thought maybe but not sure",
            "processes have separate memory? or do they share some?",
            "would it block everything? maybe it only slows the others down slightly?",
            "maybe the gil means only one thread at a time?? not sure tbh",
            "hmm, it might help a bit, or not, hard to say",
        ] {
            assert!(uncertain(text)[0], "{text}");
        }
        // The seed's tentative answers still count; a statement after an "or" is its own.
        assert_eq!(
            uncertain(
                "They might take a long time to return? Or maybe the job itself doesn't require the worker."
            ),
            [true, false]
        );
        assert_eq!(
            uncertain(
                "So multiprocessing means there will be more GILs able to work? More actual threads doing computing?"
            ),
            [false, false]
        );
    }

    #[test]
    fn a_question_offering_a_choice_or_asked_plainly_asks() {
        let asks = |text: &str| fold(&stemmer(), text).uncertainty[0].asks;
        for text in [
            "does async run things in parallel? or is it one thread switching?",
            "wait, does async run things on multiple cores, or is it one thread switching?",
            "so in cpython, do more threads use more cores or not?",
            "is there a cost to making a thread or are they basically free?",
            "do processes share memory the way threads do?",
            "so does asyncio use one thread per task?",
        ] {
            assert!(asks(text), "{text}");
        }
        for text in [
            "the other workers will see it right?",
            "So multiprocessing means there will be more GILs able to work?",
            "Does await only run when the previous dependency is done?",
            "doesn't asyncio use a thread per task?",
            "does asyncio just start a thread per task?",
            "threads or processes, either works",
        ] {
            assert!(!asks(text), "{text}");
        }
        assert!(
            uncertain("does each thread have its own memory or is it shared?")[0],
            "a question offering a choice commits to neither"
        );
        assert!(
            uncertain("do threads share memory?")[0],
            "a question asked plainly states nothing"
        );
        assert!(
            !uncertain("is it because the cpu sits idle while it waits?")[0],
            "a question giving a reason is a tentative answer"
        );
    }

    #[test]
    fn a_yes_no_question_in_a_hedged_turn_asks() {
        let asks = |text: &str| fold(&stemmer(), text).uncertainty[0].asks;
        assert!(asks(
            "in CPython, do extra threads actually put the Python code on more cores? I'd guess not but not sure"
        ));
        assert!(
            !asks("So multiprocessing means there will be more GILs able to work?"),
            "committed to, it is a tentative answer"
        );
    }

    #[test]
    fn a_belief_reported_and_denied_is_disowned() {
        let disowns = |text: &str| fold(&stemmer(), text).uncertainty[0].disowns;
        for text in [
            "People assume async spreads tasks over several cores at once, but it doesn't",
            "I used to think threads used all the cores, but they don't in CPython",
            "I assumed await blocks everything, but not at all",
            "many people say async is always faster, that's a myth",
            "A friend told me async means running stuff on all your cores at once, but that's not it",
            "People say threads each get their own memory, but that's processes",
            "Threads feel free when you start five of them, but they aren't",
            "none, which is why \"async makes everything faster\" is a myth",
        ] {
            assert!(disowns(text), "{text}");
        }
        for text in [
            "people say async is faster and they're right",
            "I think async runs on several cores, but not on one thread",
            "async runs on several cores, but not in parallel with processes",
            "people say threads share memory, but that's true only inside one process",
            "threads feel free and they are",
            "\"async makes everything faster\", that's how I see it",
        ] {
            assert!(!disowns(text), "{text}");
        }
    }

    #[test]
    fn only_the_hedged_sentence_is_uncertain() {
        assert_eq!(
            uncertain("The CPU is idle. But I'm not sure why?"),
            [false, true]
        );
    }
}
