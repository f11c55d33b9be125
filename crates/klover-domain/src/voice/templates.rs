//! The offline voice's templates, one per move (minijinja syntax). Words come from the
//! curriculum; these only frame them, in the seed's tone: short, warm, one question.

/// Built-in acknowledgements: short sentences that say the learner got it, drawn on after
/// a curriculum's own (`[voice] acknowledgements`). They name nothing themselves: the
/// confirmation that follows names what the turn credited.
/// (Not "Exactly." or "Right.": authored confirmations tend to open with those.)
pub const ACKNOWLEDGEMENTS: &[&str] = &[
    "Solid foundation.",
    "Well put.",
    "Yes, that's it.",
    "Good thinking.",
];

/// Built-in follow-ups after a first answer, drawn on after a curriculum's own
/// (`[voice] follow_ups`).
pub const FOLLOW_UPS: &[&str] = &[
    "What else is going on there?",
    "What else happens there?",
    "And what else is going on?",
    "What else would you add?",
];

/// `(name, source)` of every template.
pub const TEMPLATES: &[(&str, &str)] = &[
    (
        "ask",
        "{% if review and opening %}Quick review, from “{{ title }}”. {% endif %}{{ opening_question }}",
    ),
    (
        "redirect",
        "Let's come back to our question. {{ opening_question }}",
    ),
    // A first answer: encouragement when nothing was confirmed, then a follow-up (one of
    // the curriculum's and the built-in ones, see [`FOLLOW_UPS`]).
    (
        "pump",
        "{% if not confirmed %}Good start. {% endif %}{{ follow_up }}",
    ),
    ("hint", "{{ hint }}"),
    // Framings of the learner's act (the plan's `act`), said before the move.
    ("greeting", "Hi! Good to have you here."),
    (
        "meta",
        "Fair question. I ask rather than tell because putting it in your own words is what makes it stick; I'll give you a bigger nudge each time.",
    ),
    (
        "off_topic",
        "That one's outside what we're working on, so let's park it.",
    ),
    ("prompt", "{{ prompt }}"),
    (
        "assert",
        "Here's the piece that was missing: {{ statement }}",
    ),
    (
        "correct_question",
        "{% if contrast %}Now hold your idea up against that picture. {% else %}Hmm, let's test that. {% endif %}{{ question }}",
    ),
    (
        "correct_statement",
        "Not quite. {% if correction %}{{ correction }}{% else %}It isn't true that {{ belief | lower }}{% endif %}",
    ),
    // What the learner's turn credited: an acknowledgement (see [`ACKNOWLEDGEMENTS`])
    // before a statement that has no authored confirmation, or before a confirmation when
    // a first answer credited several checkpoints at once.
    (
        "confirm",
        "{% if acknowledgement %}{{ acknowledgement }} {% endif %}{% if confirmation %}{{ confirmation }}{% else %}{{ statement }}{% endif %}",
    ),
    ("analogy", "Here's a picture that may help. {{ text }}"),
    // The learner asked the same question again: the analogy says it another way…
    ("analogy_again", "Put another way: {{ text }}"),
    // …or, without an unused analogy, the answer's gist before the probe.
    ("answer_again", "In short: {{ gist }}"),
    // Off topic again right after "Let's come back to our question": a hint instead.
    ("off_topic_again", "Let's take a smaller step."),
    ("answer", "{{ answer }}"),
    (
        "answer_unknown",
        "Good question. What's your own guess first?",
    ),
    ("summarize", "{{ summary }}"),
    // A title that is a question ("What is a commit?") is not read out: the divider shows
    // it, and the opening turn that follows asks it.
    (
        "advance",
        "{% if question %}On to the next question.{% else %}Next: {{ title }}{% if not exclaims %}.{% endif %}{% endif %}",
    ),
    (
        "finish",
        "That's the whole path, and you explained every piece in your own words. Nice work.",
    ),
    (
        "finish_review",
        "That's every card that was due, explained again. Each one is rescheduled from how it went today: the next review comes when one is due again.",
    ),
];
