use super::*;

const SEED_CODE: &str = "Now, what's the problem with this code?
async def get_data():
response = requests.get(\"https://api.example.com/data\") # sync requests
return response.json()
vs this:
async def get_data():
async with httpx.AsyncClient() as client:
response = await client.get(\"https://api.example.com/data\") # async httpx
return response.json()";

#[test]
fn flat_code_in_the_seed_is_fenced_and_reindented() {
    let b = blocks(SEED_CODE);
    assert_eq!(
        b,
        vec![
            Block::Paragraph("Now, what's the problem with this code?".into()),
            Block::Code(vec![
                "async def get_data():".into(),
                "    response = requests.get(\"https://api.example.com/data\") # sync requests"
                    .into(),
                "    return response.json()".into(),
            ]),
            Block::Paragraph("vs this:".into()),
            Block::Code(vec![
                "async def get_data():".into(),
                "    async with httpx.AsyncClient() as client:".into(),
                "        response = await client.get(\"https://api.example.com/data\") # async httpx"
                    .into(),
                "        return response.json()".into(),
            ]),
        ]
    );
}

#[test]
fn seed_prose_is_never_taken_for_code() {
    for line in [
        "await is actually a pause/resume point. It tells the event loop: \"I'm pausing here.\"",
        "requests.get() is a blocking call.",
        "4 processes = 4 GILs = 4 threads executing simultaneously on 4 cores. True parallelism.",
        "Async with an event loop? One thread.",
        "Rule of thumb:",
        "vs this:",
        "for example:",
        "The first one will have problems. Does await only run when the previous dependency is done?",
        "return to the loop and try again",
    ] {
        assert!(!is_code_line(line), "taken for code: {line}");
    }
}

#[test]
fn common_code_lines_are_recognised() {
    for line in [
        "import asyncio",
        "from fastapi import FastAPI",
        "asyncio.run(main())",
        "x = 5",
        "results = await asyncio.gather(*tasks)",
        "@app.get(\"/data\")",
        "for task in tasks:",
        "return",
        "const data = await fetch(url);",
    ] {
        assert!(is_code_line(line), "missed: {line}");
    }
}

#[test]
fn lists_stay_lists_and_prose_after_them_is_a_paragraph() {
    let b = blocks("Compare:\n- Threads — one desk\n- Processes — separate desks\nSo which?");
    assert_eq!(
        b,
        vec![
            Block::Paragraph("Compare:".into()),
            Block::List(vec![
                "- Threads — one desk".into(),
                "- Processes — separate desks".into()
            ]),
            Block::Paragraph("So which?".into()),
        ]
    );
}

#[test]
fn existing_fences_are_kept_verbatim() {
    let text = "Look:\n```js\nif (x) {\n  go();\n}\n```\nRight?";
    let b = blocks(text);
    assert_eq!(
        b[1],
        Block::Fenced(vec![
            "```js".into(),
            "if (x) {".into(),
            "  go();".into(),
            "}".into(),
            "```".into()
        ])
    );
    assert_eq!(b[2], Block::Paragraph("Right?".into()));
}

#[test]
fn brace_code_is_reindented_by_braces() {
    let out = reindent(&["function f() {", "if (x) {", "go();", "}", "}"]);
    assert_eq!(
        out,
        vec![
            "function f() {",
            "    if (x) {",
            "        go();",
            "    }",
            "}"
        ]
    );
}

#[test]
fn markdown_leads_with_the_speaker_and_fences_with_the_language() {
    let md = to_markdown("Klover", SEED_CODE, Some("python"));
    assert!(md.starts_with("**Klover:** Now, what's the problem with this code?\n\n```python\nasync def get_data():\n"), "{md}");
    assert_eq!(md.matches("```python").count(), 2, "{md}");
}

#[test]
fn a_message_that_starts_with_a_list_gets_the_speaker_on_its_own_line() {
    let md = to_markdown("Me", "- one\n- two", None);
    assert_eq!(md, "**Me:**\n\n- one\n- two");
}

#[test]
fn html_and_headings_typed_in_prose_are_escaped_but_code_spans_are_not() {
    let md = to_markdown(
        "Me",
        "<img src=x onerror=alert(1)> and `a<b`\n# not a heading",
        None,
    );
    assert!(md.contains("\\<img src=x onerror=alert(1)>"), "{md}");
    assert!(md.contains("`a<b`"), "{md}");
    assert!(md.contains("\n\n\\# not a heading"), "{md}");
    let stray = to_markdown("Me", "a ` stray tick <b>", None);
    assert!(stray.contains("\\<b>"), "{stray}");
}

#[test]
fn prose_that_markdown_would_reshape_is_escaped() {
    assert_eq!(to_markdown("Me", "x\n---", None), "**Me:** x\n\n\\---");
    assert_eq!(
        to_markdown("Me", "x\n1986. A great year", None),
        "**Me:** x\n\n1986\\. A great year"
    );
    assert_eq!(
        to_markdown("Me", "x\n| a | b |", None),
        "**Me:** x\n\n\\| a | b |"
    );
    assert_eq!(
        to_markdown("Me", "x\n**bold** start", None),
        "**Me:** x\n\n**bold** start"
    );
    assert_eq!(
        to_markdown("Me", "bell\u{7} and nul\u{0}", None),
        "**Me:** bell and nul"
    );
}

#[test]
fn a_fence_with_junk_after_it_is_prose_and_a_fence_closes_only_on_a_bare_fence() {
    let b = blocks("```[x](javascript:alert(1))\nhi");
    assert_eq!(b[0], Block::Paragraph("```[x](javascript:alert(1))".into()));
    let md = to_markdown("Me", "```[x](javascript:alert(1))", None);
    assert_eq!(md, "**Me:** \\```\\[x](javascript:alert(1))");
    let b = blocks("```\n```python\nstill code\n```\nafter");
    assert_eq!(
        b[0],
        Block::Fenced(vec![
            "```".into(),
            "```python".into(),
            "still code".into(),
            "```".into()
        ])
    );
    assert_eq!(b[1], Block::Paragraph("after".into()));
}

#[test]
fn a_list_item_starting_with_a_quote_mark_stays_a_list_item() {
    let md = to_markdown("Me", "`\n- > not a quote\n  > nor this", None);
    assert!(md.contains("- \\> not a quote"), "{md}");
    assert!(md.contains("  \\> nor this"), "{md}");
}

#[test]
fn no_message_makes_a_link_or_raw_html_in_the_markdown() {
    for (text, expected) in [
        ("[x](javascript:alert(1))", "\\[x](javascript:alert(1))"),
        (
            "see [x](vbscript:msgbox) now",
            "see \\[x](vbscript:msgbox) now",
        ),
        ("![i](data:text/html,hi)", "!\\[i](data:text/html,hi)"),
        ("[x][r] and `[a](b)`", "\\[x]\\[r] and `[a](b)`"),
        (
            "<img src=x onerror=alert(1)>",
            "\\<img src=x onerror=alert(1)>",
        ),
        ("a list [1, 2", "a list [1, 2"),
    ] {
        assert_eq!(
            to_markdown("Me", text, None),
            format!("**Me:** {expected}"),
            "{text}"
        );
    }
    // A reference definition is prose too.
    let md = to_markdown("Me", "hi\n[r]: javascript:alert(1)", None);
    assert!(md.ends_with("\\[r]: javascript:alert(1)"), "{md}");
}
