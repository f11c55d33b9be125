//! How learners spell a word in a chat box, brought to one form before stemming: chat
//! shorthand (`bc`, `w/o`, `til`), common misspellings of small words (`untill`),
//! numerals (`10k`, `10,000`), hyphenated prefixes (`re-applies`), and the symbols that
//! stand for words (`&`, `=`, `->`). Typos of longer words are handled in matching
//! ([`super::cue`]), where the cue word is known.

use rust_stemmers::Stemmer;

use super::text::{Token, stem};

/// Whole-word replacements: `(as typed, as read)`.
const SHORTHAND: &[(&str, &str)] = &[
    ("til", "until"),
    ("till", "until"),
    ("untill", "until"),
    ("untl", "until"),
    ("unitl", "until"),
    ("bc", "because"),
    ("bcs", "because"),
    ("bcuz", "because"),
    ("cuz", "because"),
    ("coz", "because"),
    ("cos", "because"),
    ("becuase", "because"),
    ("becasue", "because"),
    ("becuz", "because"),
    ("thru", "through"),
    ("theyre", "they"),
    ("theyve", "they"),
    ("theyll", "they"),
    ("u", "you"),
    ("ur", "your"),
    ("r", "are"),
    ("nd", "and"),
    ("n", "and"),
    ("w", "with"),
    ("wo", "without"),
    ("b4", "before"),
    ("smth", "something"),
    ("sth", "something"),
    ("sthg", "something"),
    ("sumthing", "something"),
    ("nothin", "nothing"),
    ("somethin", "something"),
    ("waitin", "waiting"),
    ("doin", "doing"),
    ("goin", "going"),
    ("mem", "memory"),
    ("procs", "processes"),
    ("proc", "process"),
    ("dont", "dont"),
    ("wont", "wont"),
    ("cant", "cant"),
    ("dosnt", "doesnt"),
    ("doesent", "doesnt"),
    ("doesn", "doesnt"),
    ("isn", "isnt"),
    ("aren", "arent"),
    ("wasn", "wasnt"),
    ("didn", "didnt"),
    ("couldn", "couldnt"),
    ("wouldn", "wouldnt"),
    ("won", "won"),
    ("simultaniously", "simultaneously"),
    ("simultanously", "simultaneously"),
    ("async", "async"),
    ("asynch", "async"),
    ("sync", "sync"),
    ("synch", "sync"),
];

/// Prefixes that a hyphen joins to the word after them (`re-applies` → `reapplies`).
pub const HYPHEN_PREFIXES: &[&str] = &["re", "pre", "non", "co", "un", "de", "sub", "mis", "multi"];

/// Words after `and` that show a new claim begins (a new subject), not a list.
const NEW_SUBJECT: &[&str] = &[
    "i",
    "you",
    "he",
    "she",
    "it",
    "we",
    "they",
    "its",
    "their",
    "the",
    "each",
    "every",
    "all",
    "this",
    "that",
    "these",
    "those",
    "there",
    "then",
    "so",
    "one",
    "both",
    "async",
    "sync",
    "threads",
    "processes",
    "thread",
    "process",
    "tasks",
    "cpu",
    "gil",
    "python",
];

/// The word a learner meant by `folded` (itself when nothing applies).
pub fn normalise(folded: &str) -> String {
    if let Some((_, to)) = SHORTHAND.iter().find(|(from, _)| *from == folded) {
        return (*to).to_owned();
    }
    if let Some(n) = numeral(folded) {
        return n;
    }
    folded.to_owned()
}

/// `10k` → `10000`, `2m` → `2000000`.
fn numeral(folded: &str) -> Option<String> {
    let (digits, mult) = match folded.strip_suffix('k') {
        Some(d) => (d, "000"),
        None => (folded.strip_suffix('m')?, "000000"),
    };
    (!digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit()))
        .then(|| format!("{digits}{mult}"))
}

/// The word a joined `x/y` pair stands for (`w/o` → `without`, `b/c` → `because`).
pub fn slash_word(joined: &str) -> Option<&'static str> {
    match joined {
        "wo" => Some("without"),
        "bc" => Some("because"),
        _ => None,
    }
}

/// The word a symbol stands for, if any: `&` → `and`, `=` → `is` (not in `==`, `<=`),
/// `!=` → `isnt`, `->` and `=>` → `so`.
pub fn symbol_word(c: char, text: &str, at: usize) -> Option<&'static str> {
    let next = text[at + c.len_utf8()..].chars().next();
    let prev = text[..at].chars().next_back();
    match c {
        '&' if next != Some('&') && prev != Some('&') => Some("and"),
        '!' if next == Some('=') => Some("isnt"),
        '=' if next == Some('>') => Some("so"),
        '=' if !matches!(next, Some('=')) && !matches!(prev, Some('=' | '<' | '>' | '!')) => {
            Some("is")
        }
        '-' if next == Some('>') => Some("so"),
        _ => None,
    }
}

/// Joins `re-applies` into one token `reapplies` when the previous token is a prefix
/// written right before a hyphen; true if it did.
pub fn join_hyphen(
    tokens: &mut [Token],
    folded: &str,
    start: usize,
    end: usize,
    text: &str,
    stemmer: &Stemmer,
) -> bool {
    let Some(prev) = tokens.last_mut() else {
        return false;
    };
    if !HYPHEN_PREFIXES.contains(&prev.folded.as_str()) || &text[prev.end..start] != "-" {
        return false;
    }
    prev.folded = format!("{}{folded}", prev.folded);
    prev.stem = stem(stemmer, &prev.folded);
    prev.end = end;
    true
}

/// Joins `10,000` into one token `10000`; true if it did.
pub fn join_thousands(
    tokens: &mut [Token],
    folded: &str,
    start: usize,
    end: usize,
    text: &str,
    stemmer: &Stemmer,
) -> bool {
    let Some(prev) = tokens.last_mut() else {
        return false;
    };
    let digits = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_digit());
    if !(digits(&prev.folded) && folded.len() == 3 && digits(folded)) {
        return false;
    }
    if &text[prev.end..start] != "," {
        return false;
    }
    prev.folded = format!("{}{folded}", prev.folded);
    prev.stem = stem(stemmer, &prev.folded);
    prev.end = end;
    true
}

/// Whether the `and` that ends at byte `end` starts a new claim: the next word is a new
/// subject ("… and threads each get …"), not the next item of a list ("threads and
/// processes").
pub fn and_starts_claim(text: &str, end: usize) -> bool {
    let rest = text[end..].trim_start();
    let next: String = rest
        .chars()
        .take_while(|c| c.is_alphanumeric() || matches!(c, '\'' | '’'))
        .collect();
    let next = super::text::fold_word(&next);
    // "threads and processes share…" is a list: the caller asks for a few words of a
    // claim before the `and`; here the subject after it must be followed by more words.
    NEW_SUBJECT.contains(&next.as_str())
        && rest
            .get(next.len()..)
            .is_some_and(|r| r.split_whitespace().next().is_some())
}

/// Damerau–Levenshtein distance (adjacent swaps count 1) at most `max`. Runs on bytes
/// for ASCII words of up to `FAST_LEN` letters without allocating (the common case: it
/// is called for many cue-word/learner-word pairs per turn), on chars otherwise.
pub fn within_edits(a: &str, b: &str, max: usize) -> bool {
    if a.len().abs_diff(b.len()) > max && a.is_ascii() && b.is_ascii() {
        return false;
    }
    if a.is_ascii() && b.is_ascii() && a.len() < FAST_LEN && b.len() < FAST_LEN {
        return distance_within(a.as_bytes(), b.as_bytes(), max);
    }
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    distance_within(&a, &b, max)
}

/// Longest ASCII word handled without allocating.
const FAST_LEN: usize = 32;

fn distance_within<T: PartialEq>(a: &[T], b: &[T], max: usize) -> bool {
    let (n, m) = (a.len(), b.len());
    if n.abs_diff(m) > max {
        return false;
    }
    if n >= FAST_LEN || m >= FAST_LEN {
        return slow_distance(a, b) <= max;
    }
    // Three rolling rows: i-2, i-1, i.
    let mut rows = [[0usize; FAST_LEN + 1]; 3];
    for (j, cell) in rows[1].iter_mut().enumerate().take(m + 1) {
        *cell = j;
    }
    for i in 1..=n {
        let (cur, prev, prev2) = (i % 3, (i + 2) % 3, (i + 1) % 3);
        rows[cur][0] = i;
        let mut row_min = i;
        for j in 1..=m {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (rows[prev][j] + 1)
                .min(rows[cur][j - 1] + 1)
                .min(rows[prev][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(rows[prev2][j - 2] + 1);
            }
            rows[cur][j] = v;
            row_min = row_min.min(v);
        }
        if row_min > max {
            return false;
        }
    }
    rows[n % 3][m] <= max
}

/// The plain full-matrix distance, for long words.
fn slow_distance<T: PartialEq>(a: &[T], b: &[T]) -> usize {
    let (n, m) = (a.len(), b.len());
    let mut d = vec![vec![0usize; m + 1]; n + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=n {
        for j in 1..=m {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = v;
        }
    }
    d[n][m]
}

/// How many edits a typed word of this length may carry and still be read as the cue
/// word: none for short words (`wait` vs `want`), one from six letters, two from nine.
pub fn typo_budget(len: usize) -> usize {
    match len {
        0..=5 => 0,
        6..=8 => 1,
        _ => 2,
    }
}

#[cfg(test)]
mod tests {
    use super::super::text::{fold, stemmer};
    use super::*;

    fn words(text: &str) -> Vec<String> {
        fold(&stemmer(), text)
            .tokens
            .into_iter()
            .map(|t| t.folded)
            .collect()
    }

    #[test]
    fn chat_shorthand_and_small_misspellings_read_as_words() {
        assert_eq!(
            words("wait til it's done"),
            ["wait", "until", "its", "done"]
        );
        assert_eq!(words("untill the reply"), ["until", "the", "reply"]);
        assert_eq!(
            words("slow bc it waits"),
            ["slow", "because", "it", "waits"]
        );
        assert_eq!(
            words("b/c it waits w/o work"),
            ["because", "it", "waits", "without", "work"]
        );
        assert_eq!(words("10k threads"), ["10000", "threads"]);
        assert_eq!(words("10,000 threads"), ["10000", "threads"]);
        assert_eq!(words("it re-applies"), ["it", "reapplies"]);
        assert_eq!(words("single-threaded"), ["single", "threaded"]);
        assert_eq!(words("io = waiting"), ["io", "is", "waiting"]);
        assert_eq!(words("a & b"), ["a", "and", "b"]);
        assert_eq!(words("threads != speed"), ["threads", "isnt", "speed"]);
    }

    #[test]
    fn an_and_before_a_new_subject_starts_a_clause() {
        let f = fold(
            &stemmer(),
            "processes share memory and threads each get their own",
        );
        assert!(f.tokens[2].clause < f.tokens[4].clause);
        let f = fold(&stemmer(), "threads and processes share memory");
        assert_eq!(f.tokens[0].clause, f.tokens[4].clause);
    }

    #[test]
    fn edit_distance_counts_swaps_once() {
        assert!(within_edits("seperate", "separate", 1));
        assert!(within_edits("paralel", "parallel", 1));
        assert!(within_edits("recieve", "receive", 1));
        assert!(!within_edits("thread", "process", 2));
        assert!(within_edits("abcdef", "abcdfe", 1), "a swap is one edit");
        assert!(!within_edits("abcdef", "badcfe", 2));
        assert!(
            within_edits("sérialisé", "serialisé", 1),
            "non-ASCII words too"
        );
        let long = "a".repeat(40);
        assert!(within_edits(&long, &format!("{long}b"), 1));
        assert_eq!(typo_budget(4), 0);
    }
}
