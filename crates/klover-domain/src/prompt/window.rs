//! The transcript window: the newest turns that fit a token budget. Older turns are
//! dropped (the system prompt counts and summarises them, [`super::recap`]); the system
//! prompt itself — persona, move, concept context and gap — is always sent whole, outside
//! the budget.

/// A rough token count: about four characters a token, plus a few for the message frame.
/// Deliberately pessimistic for English so that the budget holds with real tokenizers.
pub fn estimate_tokens(text: &str) -> usize {
    text.chars().count().div_ceil(4) + 4
}

/// The index of the first turn to send so that the turns from there on fit `budget`
/// tokens; the last turn is always kept, even alone over budget.
pub fn transcript_window<T: AsRef<str>>(turns: &[T], budget: usize) -> usize {
    let mut used = 0;
    let mut start = turns.len();
    for (i, t) in turns.iter().enumerate().rev() {
        let cost = estimate_tokens(t.as_ref());
        if start < turns.len() && used + cost > budget {
            break;
        }
        used += cost;
        start = i;
    }
    start
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_newest_turns_that_fit_are_kept() {
        let turns = ["a".repeat(40), "b".repeat(40), "c".repeat(40)];
        // each costs 10 + 4 = 14 tokens
        assert_eq!(transcript_window(&turns, 100), 0);
        assert_eq!(transcript_window(&turns, 28), 1);
        assert_eq!(transcript_window(&turns, 27), 2);
    }

    #[test]
    fn the_last_turn_is_kept_even_over_budget() {
        let turns = ["x".repeat(4000)];
        assert_eq!(transcript_window(&turns, 10), 0);
        let none: [&str; 0] = [];
        assert_eq!(transcript_window(&none, 10), 0);
    }
}
