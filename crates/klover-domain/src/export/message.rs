//! One chat message as Markdown: paragraphs, lists, and code — including code pasted flat
//! into a message (as in the seed's `await` example), which is detected, fenced with the
//! curriculum's language and re-indented.
//!
//! Chat messages are plain text: each line is a paragraph, `- ` / `1. ` lines are list
//! items, existing ``` fences are kept verbatim. A run of lines that look like code
//! ([`is_code_line`]) becomes a fenced block; when none of its lines is indented, the
//! indentation is restored from the block structure ([`reindent`]). Prose is escaped so
//! that a `<tag>` or a leading `#` in a message renders as typed.

/// A piece of a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Block {
    /// One line of prose.
    Paragraph(String),
    /// Consecutive list items (with their indented continuation lines).
    List(Vec<String>),
    /// Code detected in the message, already re-indented.
    Code(Vec<String>),
    /// A fenced block the message already had, kept verbatim (fences included).
    Fenced(Vec<String>),
}

/// Splits a message into blocks.
pub fn blocks(text: &str) -> Vec<Block> {
    // Control characters (other than newline and tab) have no place in a post, and are not
    // allowed in a well-formed document.
    let text: String = text
        .chars()
        .filter(|c| !c.is_control() || matches!(c, '\n' | '\t'))
        .collect();
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        let trimmed = line.trim();
        if is_fence(trimmed) {
            let (block, next) = fenced(&lines, i);
            out.push(block);
            i = next;
        } else if trimmed.is_empty() {
            i += 1;
        } else if is_list_item(line) {
            let mut items = vec![line.trim_end().to_owned()];
            i += 1;
            while i < lines.len() && (is_list_item(lines[i]) || is_continuation(lines[i])) {
                items.push(lines[i].trim_end().to_owned());
                i += 1;
            }
            out.push(Block::List(items));
        } else if is_code_line(line) {
            let mut code = vec![line];
            i += 1;
            while i < lines.len() {
                let next = lines[i];
                if next.trim().is_empty() {
                    // A blank line stays inside the block only if code follows it.
                    if lines.get(i + 1).is_some_and(|l| continues_code(l)) {
                        code.push(next);
                        i += 1;
                        continue;
                    }
                    break;
                }
                if !continues_code(next) {
                    break;
                }
                code.push(next);
                i += 1;
            }
            out.push(Block::Code(reindent(&code)));
        } else {
            out.push(Block::Paragraph(trimmed.to_owned()));
            i += 1;
        }
    }
    out
}

/// Renders a message as Markdown, the first paragraph led by `**<speaker>:**`.
pub fn to_markdown(speaker: &str, text: &str, code_language: Option<&str>) -> String {
    let lang = code_language.unwrap_or("");
    let mut parts: Vec<String> = blocks(text)
        .into_iter()
        .map(|b| match b {
            Block::Paragraph(p) => escape_paragraph(&p),
            Block::List(items) => items
                .iter()
                .map(|l| escape_list_line(l))
                .collect::<Vec<_>>()
                .join("\n"),
            Block::Code(lines) => format!("```{lang}\n{}\n```", lines.join("\n")),
            Block::Fenced(lines) => lines.join("\n"),
        })
        .collect();
    let lead = format!("**{speaker}:**");
    match parts.first_mut() {
        Some(first) if !first.starts_with("```") && !starts_list(first) => {
            *first = format!("{lead} {first}");
        }
        _ => parts.insert(0, lead),
    }
    parts.join("\n\n")
}

/// Whether a line looks like a line of source code rather than prose.
///
/// Deliberately narrow: a line ending like a sentence is never code, and each pattern is
/// one that prose written in a chat does not start with (`async def f():`, `return x`,
/// `name = value`, `call(args)`, `import x`, `with … :`).
pub fn is_code_line(line: &str) -> bool {
    let code = strip_comment(line.trim());
    if code.is_empty() || ends_like_sentence(code) {
        return false;
    }
    let opens = code.ends_with(':') || code.ends_with('{');
    let codey = |s: &str| s.contains(['(', '.', '_', '=', '[']);
    let first = code.split_whitespace().next().unwrap_or("");
    match first {
        "def" | "class" | "fn" | "function" => opens,
        "async" => code.starts_with("async def ") || (opens && codey(code)),
        "with" | "if" | "elif" | "while" => opens && codey(code),
        "for" => opens && code.contains(" in "),
        "else:" | "try:" | "finally:" | "else" => opens,
        "except" => opens,
        "return" | "raise" | "yield" | "pass" | "break" | "continue" => {
            code == first || codey(code) || code.split_whitespace().count() == 2
        }
        "await" => code.contains('('),
        "import" => code.split_whitespace().count() == 2 || code.contains(" as "),
        "from" => code.contains(" import "),
        "const" | "let" | "var" => code.contains('='),
        _ => is_assignment(code) || is_call(code) || is_decorator(code),
    }
}

/// Restores indentation of code pasted flat: a line ending in `:` or `{` opens a block,
/// `return`/`raise`/`pass`/`break`/`continue` close a Python block, a leading `}` closes a
/// brace block, `else:`/`elif`/`except`/`finally:` sit at their opener's level. Code that
/// already has indented lines is kept as written.
pub fn reindent(lines: &[&str]) -> Vec<String> {
    let already_indented = lines
        .iter()
        .any(|l| l.starts_with([' ', '\t']) && !l.trim().is_empty());
    if already_indented {
        return lines.iter().map(|l| l.trim_end().to_owned()).collect();
    }
    let python = lines.iter().any(|l| strip_comment(l.trim()).ends_with(':'));
    let mut level = 0usize;
    let mut out = Vec::with_capacity(lines.len());
    for line in lines {
        let t = line.trim();
        if t.is_empty() {
            out.push(String::new());
            continue;
        }
        let code = strip_comment(t);
        let first = code.split_whitespace().next().unwrap_or("");
        if t.starts_with(['}', ')', ']'])
            || (python && matches!(first, "elif" | "else:" | "else" | "except" | "finally:"))
        {
            level = level.saturating_sub(1);
        }
        out.push(format!("{}{t}", "    ".repeat(level)));
        if code.ends_with(':') || code.ends_with('{') {
            level += 1;
        } else if python && matches!(first, "return" | "raise" | "pass" | "break" | "continue") {
            level = level.saturating_sub(1);
        }
    }
    out
}

/// A fence line: three backticks or tildes, then at most a plain language name. Anything
/// else after the fence (`` ```[x](javascript:…) ``) makes the line prose.
fn is_fence(trimmed: &str) -> bool {
    let info = if let Some(rest) = trimmed.strip_prefix("```") {
        rest.trim_start_matches('`')
    } else if let Some(rest) = trimmed.strip_prefix("~~~") {
        rest.trim_start_matches('~')
    } else {
        return false;
    };
    info.trim()
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '+' | '.' | '#'))
}

fn fenced(lines: &[&str], start: usize) -> (Block, usize) {
    let fence = &lines[start].trim()[..3];
    let mut out = vec![lines[start].trim_end().to_owned()];
    let mut i = start + 1;
    while i < lines.len() {
        out.push(lines[i].trim_end().to_owned());
        i += 1;
        let t = lines[i - 1].trim();
        if t.len() >= 3 && t.chars().all(|c| fence.starts_with(c)) {
            return (Block::Fenced(out), i);
        }
    }
    out.push(fence.to_owned());
    (Block::Fenced(out), i)
}

fn continues_code(line: &str) -> bool {
    let t = line.trim();
    is_code_line(line)
        || (!t.is_empty() && line.starts_with([' ', '\t']) && !ends_like_sentence(t))
        || t.starts_with("# ")
        || t.starts_with(['}', ')', ']'])
}

fn is_list_item(line: &str) -> bool {
    starts_list(line.trim_start())
}

fn starts_list(t: &str) -> bool {
    if t.starts_with("- ") || t.starts_with("* ") || t.starts_with("+ ") {
        return true;
    }
    let digits = t.chars().take_while(char::is_ascii_digit).count();
    digits > 0 && digits < 4 && (t[digits..].starts_with(". ") || t[digits..].starts_with(") "))
}

fn is_continuation(line: &str) -> bool {
    line.starts_with("  ") && !line.trim().is_empty()
}

fn ends_like_sentence(code: &str) -> bool {
    (code.ends_with('.') && !code.ends_with("...")) || code.ends_with('?') || code.ends_with('!')
}

/// Cuts a trailing `# comment` (or `// comment`) so patterns look at the code only.
fn strip_comment(code: &str) -> &str {
    let cut = [" #", " //"]
        .iter()
        .filter_map(|m| code.find(m))
        .min()
        .unwrap_or(code.len());
    code[..cut].trim_end()
}

fn is_identifier_path(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '[' | ']' | '"' | '\''))
}

/// `name = value`, `obj.attr += 1`, `x: int = 3` — but not `a == b`.
fn is_assignment(code: &str) -> bool {
    let Some(eq) = code.find('=') else {
        return false;
    };
    if code[eq + 1..].starts_with('=') || code[eq + 1..].trim().is_empty() {
        return false;
    }
    let lhs = code[..eq]
        .trim_end_matches(['+', '-', '*', '/', ':'])
        .trim();
    let lhs = lhs.split(':').next().unwrap_or("").trim();
    is_identifier_path(lhs)
}

/// A line that is one call: `asyncio.run(main())`.
fn is_call(code: &str) -> bool {
    let code = code.trim_end_matches(';');
    match code.find('(') {
        Some(open) => code.ends_with(')') && open > 0 && is_identifier_path(&code[..open]),
        None => false,
    }
}

fn is_decorator(code: &str) -> bool {
    code.strip_prefix('@')
        .is_some_and(|rest| is_identifier_path(rest.split('(').next().unwrap_or("")))
}

/// Escapes a prose line so it renders as typed: HTML-looking text, and a start that
/// Markdown would read as a heading, quote, rule, list or table (`#`, `>`, `---`, `1986.`).
fn escape_paragraph(p: &str) -> String {
    let escaped = escape_inline(p);
    if escaped.starts_with(['#', '>', '=', '|'])
        || escaped.starts_with("```")
        || escaped.starts_with("~~~")
        || is_rule(&escaped)
    {
        return format!("\\{escaped}");
    }
    let digits = escaped.chars().take_while(char::is_ascii_digit).count();
    if digits > 0 && escaped[digits..].starts_with(['.', ')']) {
        return format!("{}\\{}", &escaped[..digits], &escaped[digits..]);
    }
    escaped
}

/// Escapes a list line: its marker stays, its content is escaped like a paragraph (so
/// `- > x` stays a list item holding `> x`, not a quote inside a list).
fn escape_list_line(line: &str) -> String {
    let indent = line.len() - line.trim_start().len();
    let (lead, rest) = line.split_at(indent);
    let marker = if rest.starts_with("- ") || rest.starts_with("* ") || rest.starts_with("+ ") {
        2
    } else {
        let digits = rest.chars().take_while(char::is_ascii_digit).count();
        if digits > 0 && (rest[digits..].starts_with(". ") || rest[digits..].starts_with(") ")) {
            digits + 2
        } else {
            0
        }
    };
    let (marker, content) = rest.split_at(marker);
    format!("{lead}{marker}{}", escape_paragraph(content))
}

/// `---`, `***`, `_ _ _`: a line Markdown turns into a horizontal rule.
fn is_rule(line: &str) -> bool {
    ['-', '*', '_'].iter().any(|&c| {
        line.chars().filter(|&x| x == c).count() >= 3 && line.chars().all(|x| x == c || x == ' ')
    })
}

/// Escapes `<` and `[` outside `code spans`, so the Markdown never carries raw HTML and no
/// link or image: a message is plain text, and a `[x](javascript:…)`, `vbscript:` or
/// `data:` target (or one spelled with entities, or a reference definition) must not
/// become a live link in a reader's Markdown renderer. A `[` with no `]` after it cannot
/// open a link and stays as typed.
pub(crate) fn escape_inline(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_code = false;
    // An unmatched last backtick opens no code span: it must not shield what follows.
    let mut ticks_left = text.matches('`').count();
    for (i, c) in text.char_indices() {
        match c {
            '[' if !in_code && text[i..].contains(']') => out.push_str("\\["),
            '`' => {
                if in_code || ticks_left >= 2 {
                    in_code = !in_code;
                }
                ticks_left -= 1;
                out.push(c);
            }
            '<' if !in_code => out.push_str("\\<"),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
#[path = "message_tests.rs"]
mod tests;
