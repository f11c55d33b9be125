//! Word wrapping for streamed text on a terminal: the tutor's words arrive in pieces that
//! may split a word, so a word is held until the space after it shows where it ends, then
//! placed on the current line or the next one (indented under `Klover: `). A terminal's own
//! wrapping would cut words in half.

/// Wraps text pushed piece by piece to `width` columns, continuation lines indented.
#[derive(Debug)]
pub struct Wrapper {
    width: usize,
    indent: usize,
    col: usize,
    word: String,
}

impl Wrapper {
    /// A wrapper for lines of `width` columns whose first line already holds `indent`
    /// columns (the `Klover: ` prefix); later lines start with as many spaces.
    pub fn new(width: usize, indent: usize) -> Self {
        Self {
            width: width.max(indent + 20),
            indent,
            col: indent,
            word: String::new(),
        }
    }

    /// Takes the next piece of text; returns what can be printed now.
    pub fn push(&mut self, text: &str) -> String {
        let mut out = String::new();
        for ch in text.chars() {
            match ch {
                '\n' => {
                    self.flush_word(&mut out);
                    out.push('\n');
                    out.push_str(&" ".repeat(self.indent));
                    self.col = self.indent;
                }
                ' ' | '\t' => {
                    self.flush_word(&mut out);
                    if self.col < self.width {
                        out.push(ch);
                        self.col += 1;
                    }
                }
                _ => self.word.push(ch),
            }
        }
        out
    }

    /// Ends the text: returns the word still held back.
    pub fn finish(&mut self) -> String {
        let mut out = String::new();
        self.flush_word(&mut out);
        self.col = self.indent;
        out
    }

    fn flush_word(&mut self, out: &mut String) {
        if self.word.is_empty() {
            return;
        }
        let len = self.word.chars().count();
        if self.col + len > self.width && self.col > self.indent {
            // A space already written at the end of the line is harmless on a terminal.
            out.push('\n');
            out.push_str(&" ".repeat(self.indent));
            self.col = self.indent;
        }
        out.push_str(&self.word);
        self.col += len;
        self.word.clear();
    }
}

/// The width to wrap at: the terminal's, at most 100 columns for readability, 80 when
/// it cannot be told.
pub fn terminal_width() -> usize {
    terminal_size::terminal_size()
        .map(|(w, _)| usize::from(w.0))
        .unwrap_or(80)
        .min(100)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wrap(width: usize, pieces: &[&str]) -> String {
        let mut w = Wrapper::new(width, 8);
        let mut out = String::from("Klover: ");
        for p in pieces {
            out.push_str(&w.push(p));
        }
        out.push_str(&w.finish());
        out
    }

    #[test]
    fn words_split_across_pieces_are_never_cut_at_the_line_end() {
        let text = wrap(
            30,
            &[
                "In your own words: what is the differ",
                "ence between synchronous a",
                "nd asynchronous code?",
            ],
        );
        for line in text.lines() {
            assert!(
                line.trim_end().chars().count() <= 30,
                "{line:?} in {text:?}"
            );
        }
        let words: Vec<&str> = text.split_whitespace().collect();
        assert_eq!(
            words.join(" "),
            "Klover: In your own words: what is the difference between synchronous and asynchronous code?"
        );
        assert!(
            text.lines().skip(1).all(|l| l.starts_with("        ")),
            "continuation lines sit under the text, not under `Klover:`: {text:?}"
        );
    }

    #[test]
    fn short_text_stays_on_one_line_and_newlines_are_kept_indented() {
        assert_eq!(
            wrap(80, &["Exactly.", " Spot on."]),
            "Klover: Exactly. Spot on."
        );
        assert_eq!(
            wrap(80, &["Look:\n", "    await x"]),
            "Klover: Look:\n            await x"
        );
    }

    #[test]
    fn a_word_longer_than_the_line_is_printed_whole_on_its_own_line() {
        let long = "x".repeat(50);
        let text = wrap(30, &["a ", &long, " b"]);
        assert!(text.contains(&long), "{text}");
        assert_eq!(text.lines().count(), 3, "{text:?}");
    }
}
