//! The Markdown export neutralises links and raw HTML a learner typed, as the HTML export
//! does: the post renders them as typed text in any Markdown renderer.

use crate::support::{session_id, spawn_app};

const HOSTILE: [&str; 5] = [
    "[click](javascript:alert(1))",
    "[x](vbscript:msgbox(1))",
    "![pic](data:text/html;base64,PHNjcmlwdD4=)",
    "<img src=x onerror=alert(1)>",
    "[ref][r] and then\n[r]: javascript:alert(2)",
];

#[tokio::test]
async fn the_markdown_export_keeps_no_script_link_and_no_raw_html() {
    let app = spawn_app().await;
    let mut c = app.client().await;
    let sid = session_id(&c.start("async-python", None).await);
    for text in HOSTILE {
        c.turn(text).await;
    }
    let md = reqwest::get(app.http(&format!("/api/sessions/{sid}/export?format=md")))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for scheme in ["javascript:", "vbscript:", "data:"] {
        for (at, _) in md.match_indices(scheme) {
            let before = &md[..at];
            let opener = before.rfind('[').unwrap();
            assert!(
                before[..opener].ends_with('\\'),
                "a live link to {scheme} in:\n{}",
                &md[opener.saturating_sub(20)..(at + 20).min(md.len())]
            );
        }
    }
    assert!(md.contains("\\<img src=x"), "raw HTML escaped:\n{md}");
    assert!(!md.contains("\n<img"), "{md}");
    let html = reqwest::get(app.http(&format!("/api/sessions/{sid}/export?format=html")))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!html.contains("href=\"javascript:"), "{html}");
    assert!(!html.contains("<img src=x"), "{html}");
    app.stop().await.unwrap();
}
