//! Fill-in prompts: "So all threads inside one process share the same ___?" answered
//! "memory", "So while that sync requests.get() waits, the entire event loop is…?"
//! answered "frozen", "…how many threads can execute Python code at the same time?"
//! answered "one". A short answer to such a prompt says the prompt's sentence with the
//! blank filled in; a bag of words in context cannot see that (its own words must carry
//! half of a cue's terms), so the rubric also reads the completed sentence. Only what the
//! learner's words carry counts: a cue one of whose terms they hold in a word the prompt
//! does not (`rubric::own_words`).

/// Words an answer may have (its first clause) to be read as filling the blank: a longer
/// one says its own sentence.
const MAX_WORDS: usize = 8;

/// The tutor's fill-in prompt completed with `answer`'s first clause, and the same prompt
/// with the blank left empty, both as statements; `None` when the tutor's message has no
/// blank or the answer does not open with a short clause.
pub(super) fn completions(tutor: &str, answer: &str) -> Option<(String, String)> {
    let (before, after) = prompt_around_blank(tutor)?;
    let fill = first_clause(answer)?;
    let complete = |fill: &str| {
        let s = format!("{before} {fill} {after}");
        format!("{}.", s.split_whitespace().collect::<Vec<_>>().join(" "))
    };
    Some((complete(fill), complete("")))
}

/// The prompt sentence around its blank (`___`, or an ellipsis before the closing `?`),
/// without the question mark.
fn prompt_around_blank(tutor: &str) -> Option<(&str, &str)> {
    if let Some(at) = tutor.find("___") {
        let start = sentence_start(&tutor[..at]);
        let rest = tutor[at..].trim_start_matches('_');
        let end = rest.find('?')?;
        return Some((tutor[start..at].trim(), rest[..end].trim()));
    }
    let body = tutor.trim_end().strip_suffix('?')?;
    if let Some(open) = body.strip_suffix('…').or_else(|| body.strip_suffix("...")) {
        return Some((open[sentence_start(open)..].trim(), ""));
    }
    let sentence = &body[sentence_start(body)..];
    let lower = sentence.to_ascii_lowercase();
    ASKED.iter().find_map(|asked| {
        let at = word_at(&lower, asked)?;
        let rest = &sentence[at + asked.len()..];
        // "which wins: threads or async?" — the options are not part of the statement.
        let rest = rest.split(':').next().unwrap_or(rest);
        Some((sentence[..at].trim(), rest.trim()))
    })
}

/// Question words a short answer stands in for: "So with the GIL, how many threads can
/// execute Python code at the same time?" answered "one" says "one thread can…".
const ASKED: &[&str] = &["how many", "which"];

/// Where `word` starts in `text` as a whole word.
fn word_at(text: &str, word: &str) -> Option<usize> {
    text.match_indices(word).map(|(i, _)| i).find(|&i| {
        let before = text[..i].chars().next_back();
        let after = text[i + word.len()..].chars().next();
        !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphanumeric)
    })
}

/// Where the last sentence of `text` starts: after the last stop followed by a space or a
/// line break (the dot in `requests.get()` ends nothing).
fn sentence_start(text: &str) -> usize {
    let mut start = 0;
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        let next_blank = chars.peek().is_none_or(|&(_, n)| n.is_whitespace());
        if c == '\n' || (matches!(c, '.' | '!' | '?') && next_blank) {
            start = i + c.len_utf8();
        }
    }
    start
}

/// The answer's first clause (up to the first stop, comma or semicolon), if it is short
/// and says something.
fn first_clause(answer: &str) -> Option<&str> {
    let clause = answer
        .split(['.', '!', '?', '\n', ',', ';', ':'])
        .next()?
        .trim();
    let words = clause.split_whitespace().count();
    (words > 0 && words <= MAX_WORDS && !clause.contains('_')).then_some(clause)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_one_word_answer_fills_the_blank() {
        let (full, empty) = completions(
            "Right. So all threads inside one process share the same ___?",
            "memory",
        )
        .unwrap();
        assert_eq!(
            full,
            "So all threads inside one process share the same memory."
        );
        assert_eq!(empty, "So all threads inside one process share the same.");
    }

    #[test]
    fn an_ellipsis_before_the_question_mark_is_a_blank() {
        let (full, _) = completions(
            "So while that sync requests.get() waits, the entire event loop is…?",
            "frozen. nothing runs",
        )
        .unwrap();
        assert_eq!(
            full,
            "So while that sync requests.get() waits, the entire event loop is frozen."
        );
    }

    #[test]
    fn a_short_answer_stands_in_for_how_many_or_which() {
        let (full, _) = completions(
            "So with the GIL, how many threads can execute Python code at the same time?",
            "one",
        )
        .unwrap();
        assert_eq!(
            full,
            "So with the GIL, one threads can execute Python code at the same time."
        );
        let (full, _) = completions(
            "So for massive concurrent I/O, thousands of connections, which wins: threads or async?",
            "async",
        )
        .unwrap();
        assert_eq!(
            full,
            "So for massive concurrent I/O, thousands of connections, async wins."
        );
    }

    #[test]
    fn a_plain_question_or_a_long_answer_fills_nothing() {
        assert!(completions("What happens to the other tasks?", "they wait").is_none());
        assert!(
            completions(
                "The loop runs a task until it reaches a ___, then parks it?",
                "it runs every task until the task itself decides to stop"
            )
            .is_none()
        );
    }
}
