//! Problems an author can act on: where (file, line, key), what is wrong, how to fix it.

use std::fmt;

/// One problem found in the curriculum files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The file, as given to the loader (relative to the curriculum folder).
    pub file: String,
    /// 1-based line, when known.
    pub line: Option<usize>,
    /// Key path in the file (`checkpoints[2].hints`), when known.
    pub key: Option<String>,
    /// What is wrong.
    pub message: String,
    /// How to fix it.
    pub fix: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        write!(f, ": ")?;
        if let Some(key) = &self.key {
            write!(f, "{key}: ")?;
        }
        write!(f, "{}\n  fix: {}", self.message, self.fix)
    }
}

/// Everything wrong with a curriculum, found in one pass.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct CurriculumError {
    /// The problems, in file and line order.
    pub problems: Vec<Problem>,
}

impl fmt::Display for CurriculumError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.problems.len();
        writeln!(
            f,
            "{n} problem{} in the curriculum:",
            if n == 1 { "" } else { "s" }
        )?;
        for p in &self.problems {
            writeln!(f, "{p}")?;
        }
        Ok(())
    }
}

/// Collects problems for one file, turning byte offsets into line numbers.
pub(crate) struct Report<'a> {
    pub(crate) file: &'a str,
    pub(crate) text: &'a str,
    pub(crate) problems: &'a mut Vec<Problem>,
}

impl Report<'_> {
    /// Records a problem at a byte offset of the file.
    pub(crate) fn at(
        &mut self,
        offset: Option<usize>,
        key: impl Into<Option<String>>,
        message: impl Into<String>,
        fix: impl Into<String>,
    ) {
        let line = offset.map(|o| line_of(self.text, o));
        self.problems.push(Problem {
            file: self.file.to_owned(),
            line,
            key: key.into(),
            message: message.into(),
            fix: fix.into(),
        });
    }
}

/// 1-based line number of a byte offset.
pub(crate) fn line_of(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    text.as_bytes()[..end]
        .iter()
        .filter(|b| **b == b'\n')
        .count()
        + 1
}
