//! Layout-keeping writes into `toml_edit` tables and arrays: a replaced value keeps the
//! spacing and trailing comment of the one it replaces, a new array entry takes the
//! indentation of its neighbours (one per line in a multi-line array), and new lists are
//! written one entry per line, as the reference curriculum is.

use toml_edit::{Array, Item, Table, Value};

use super::EditError;

/// Sets `key` to a string, keeping the old value's decor (spacing, trailing comment).
pub(super) fn set_string(table: &mut Table, key: &str, text: &str) {
    set_value(table, key, Value::from(text));
}

/// Sets `key` to a value, keeping the old value's decor when there was one.
pub(super) fn set_value(table: &mut Table, key: &str, mut value: Value) {
    match table.get_mut(key) {
        Some(Item::Value(old)) => {
            *value.decor_mut() = old.decor().clone();
            *old = value;
        }
        _ => {
            table.insert(key, Item::Value(value));
        }
    }
}

/// A new list, one entry per line with a trailing comma (or `[]`).
pub(super) fn new_list(items: &[String]) -> Value {
    let mut arr = Array::new();
    for item in items {
        let mut v = Value::from(item.as_str());
        v.decor_mut().set_prefix("\n    ");
        v.decor_mut().set_suffix("");
        arr.push_formatted(v);
    }
    if !items.is_empty() {
        arr.set_trailing_comma(true);
        arr.set_trailing("\n");
    }
    Value::Array(arr)
}

/// The list at `key`, created empty when absent; an error when `key` holds no list.
pub(super) fn list_mut<'t>(table: &'t mut Table, key: &str) -> Result<&'t mut Array, EditError> {
    if table.get(key).is_none() {
        table.insert(key, Item::Value(new_list(&[])));
    }
    table
        .get_mut(key)
        .and_then(Item::as_array_mut)
        .ok_or_else(|| EditError::UnknownField {
            target: "entry",
            field: key.to_owned(),
            expected: "list",
        })
}

fn is_multiline(arr: &Array) -> bool {
    arr.iter().any(|v| {
        v.decor()
            .prefix()
            .and_then(|p| p.as_str())
            .is_some_and(|p| p.contains('\n'))
    })
}

fn no_index(field: &str, index: usize, len: usize) -> EditError {
    EditError::NoIndex {
        field: field.to_owned(),
        index,
        len,
    }
}

/// Inserts `text` at `index` (the end when `None`), laid out like its neighbours.
pub(super) fn insert_item(
    arr: &mut Array,
    field: &str,
    index: Option<usize>,
    text: &str,
) -> Result<(), EditError> {
    let len = arr.len();
    let index = index.unwrap_or(len);
    if index > len {
        return Err(no_index(field, index, len));
    }
    let mut v = Value::from(text);
    if len == 0 {
        arr.push_formatted(v);
        return Ok(());
    }
    if is_multiline(arr) {
        multiline_slot(arr, index, &mut v);
    } else if index == 0 {
        v.decor_mut().set_prefix("");
        v.decor_mut().set_suffix("");
        if let Some(first) = arr.get_mut(0) {
            first.decor_mut().set_prefix(" ");
        }
    } else {
        v.decor_mut().set_prefix(" ");
        v.decor_mut().set_suffix("");
    }
    arr.insert_formatted(index, v);
    Ok(())
}

/// Lays a new entry of a multi-line array out for position `index`: it takes over what
/// stood before the entry now at `index` (the previous line's trailing comment, comment
/// lines above), which keeps only its indentation; at the end it takes the array's
/// trailing comment the same way.
fn multiline_slot(arr: &mut Array, index: usize, v: &mut Value) {
    let len = arr.len();
    let indent = arr
        .get(index.min(len - 1))
        .map(indent_of)
        .unwrap_or_default();
    v.decor_mut().set_suffix("");
    if let Some(next) = arr.get_mut(index) {
        let prefix = raw(next.decor().prefix());
        v.decor_mut().set_prefix(prefix);
        next.decor_mut().set_prefix(indent);
        return;
    }
    let trailing = arr.trailing().as_str().unwrap_or_default().to_owned();
    match trailing.rsplit_once('\n') {
        Some((head, tail)) if !head.trim().is_empty() => {
            v.decor_mut().set_prefix(format!("{head}{indent}"));
            arr.set_trailing(format!("\n{tail}"));
        }
        _ => v.decor_mut().set_prefix(indent),
    }
}

/// A prefix split at its first line break: what ends the previous line, and the rest.
fn split_first_line(p: &str) -> (&str, &str) {
    match p.find('\n') {
        Some(at) => (&p[..at], &p[at..]),
        None => ("", p),
    }
}

fn raw(s: Option<&toml_edit::RawString>) -> String {
    s.and_then(|p| p.as_str()).unwrap_or_default().to_owned()
}

/// The whitespace after the last line break of a value's prefix (`"\n    "`).
fn indent_of(v: &Value) -> String {
    let prefix = v
        .decor()
        .prefix()
        .and_then(|p| p.as_str())
        .unwrap_or_default();
    match prefix.rfind('\n') {
        Some(at) => format!("\n{}", &prefix[at + 1..]),
        None => prefix.to_owned(),
    }
}

/// Replaces the entry at `index`, keeping its decor.
pub(super) fn set_item(
    arr: &mut Array,
    field: &str,
    index: usize,
    text: &str,
) -> Result<(), EditError> {
    let len = arr.len();
    let old = arr
        .get_mut(index)
        .ok_or_else(|| no_index(field, index, len))?;
    let mut v = Value::from(text);
    *v.decor_mut() = old.decor().clone();
    *old = v;
    Ok(())
}

/// Removes the entry at `index`; in a one-line array the new first entry loses its
/// leading space.
pub(super) fn remove_item(arr: &mut Array, field: &str, index: usize) -> Result<(), EditError> {
    let len = arr.len();
    if index >= len {
        return Err(no_index(field, index, len));
    }
    let multiline = is_multiline(arr);
    let removed = arr.remove(index);
    if multiline {
        // What precedes the removed entry on the previous line (its trailing comment) stays.
        let before = raw(removed.decor().prefix());
        let (previous_line, _) = split_first_line(&before);
        match arr.get_mut(index) {
            Some(next) => {
                let own = raw(next.decor().prefix());
                let (_, own) = split_first_line(&own);
                next.decor_mut().set_prefix(format!("{previous_line}{own}"));
            }
            None => {
                let own = arr.trailing().as_str().unwrap_or_default().to_owned();
                let (_, own) = split_first_line(&own);
                arr.set_trailing(format!("{previous_line}{own}"));
            }
        }
    }
    if index == 0
        && !multiline
        && let Some(first) = arr.get_mut(0)
    {
        first.decor_mut().set_prefix("");
    }
    if arr.is_empty() {
        arr.set_trailing_comma(false);
        arr.set_trailing("");
    }
    Ok(())
}

/// Replaces every entry equal to `from` with `to`; whether any was.
pub(super) fn rename_in(arr: &mut Array, from: &str, to: &str) -> bool {
    let hits: Vec<usize> = (0..arr.len())
        .filter(|&i| arr.get(i).and_then(Value::as_str) == Some(from))
        .collect();
    for &i in &hits {
        let _ = set_item(arr, "", i, to);
    }
    !hits.is_empty()
}

/// Removes every entry equal to `text`; whether any was.
pub(super) fn remove_all(arr: &mut Array, text: &str) -> bool {
    let mut any = false;
    while let Some(i) = (0..arr.len()).find(|&i| arr.get(i).and_then(Value::as_str) == Some(text)) {
        let _ = remove_item(arr, "", i);
        any = true;
    }
    any
}
