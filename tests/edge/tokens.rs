//! Tokens: a revocation closes the sockets that token opened (and stops their reply),
//! `/metrics` needs an operator (`admin`) token with auth on, and `klover token list`
//! shows every token without printing one.

use serde_json::json;

use crate::support::{Closed, WsClient, spawn_app_with, test_settings};

fn with_auth() -> klover_server::Settings {
    let mut s = test_settings();
    s.auth = true;
    s
}

#[tokio::test]
async fn revoking_a_token_closes_its_live_sockets_and_spares_others() {
    let app = spawn_app_with(with_auth(), klover_server::TutorVoice::Offline).await;
    let ada = app.token_for("ada").await;
    let bob = app.token_for("bob").await;
    // One socket with the token in the URL, one with a hello; another learner's beside.
    let mut by_url = WsClient::connect(&format!("{}?token={ada}", app.ws_url()))
        .await
        .unwrap();
    by_url.start("async-python", None).await;
    let mut by_hello = app.client().await;
    by_hello
        .send(json!({"type": "hello", "version": 1, "token": ada}))
        .await;
    assert_eq!(by_hello.next().await["type"], "welcome");
    let mut other = WsClient::connect(&format!("{}?token={bob}", app.ws_url()))
        .await
        .unwrap();
    other.start("async-python", None).await;

    assert!(app.store.revoke_api_token(&ada).await.unwrap());
    for socket in [&mut by_url, &mut by_hello] {
        match socket.closed().await {
            Closed::Code(1008, reason) => assert!(reason.contains("revoked"), "{reason}"),
            other => panic!("expected 1008, got {other:?}"),
        }
    }
    let events = other.turn("the worker waits for the call to finish").await;
    assert!(crate::support::find(&events, "tutor_done").is_some());
    // And the revoked token opens nothing any more.
    let err = WsClient::connect(&format!("{}?token={ada}", app.ws_url()))
        .await
        .err()
        .unwrap();
    assert!(
        matches!(&err, tokio_tungstenite::tungstenite::Error::Http(r) if r.status().as_u16() == 401),
        "{err:?}"
    );
    app.stop().await.unwrap();
}

#[tokio::test]
async fn metrics_need_an_operator_token_when_auth_is_on() {
    let app = spawn_app_with(with_auth(), klover_server::TutorVoice::Offline).await;
    let learner = app.token_for("ada").await;
    let admin = app
        .store
        .create_api_token(klover_store::Role::Admin, None, "prometheus")
        .await
        .unwrap();
    let http = reqwest::Client::new();
    let status = |token: Option<String>| {
        let mut req = http.get(app.http("/metrics"));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        async move { req.send().await.unwrap().status().as_u16() }
    };
    assert_eq!(status(None).await, 401);
    assert_eq!(status(Some(learner)).await, 403);
    assert_eq!(status(Some(admin)).await, 200);
    app.stop().await.unwrap();
}

fn klover(args: &[&str], db: &str) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_klover"))
        .args(args)
        .args(["--database-url", db])
        .output()
        .unwrap()
}

#[test]
fn token_list_shows_roles_and_labels_but_never_a_token() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}/k.db?mode=rwc", dir.path().display());
    let admin = klover(
        &[
            "token",
            "create",
            "--role",
            "admin",
            "--label",
            "ops",
            "--expires",
            "30d",
        ],
        &db,
    );
    assert!(admin.status.success(), "{admin:?}");
    let learner = klover(&["token", "create", "--learner", "ada"], &db);
    assert!(learner.status.success(), "{learner:?}");
    let bad = klover(
        &["token", "create", "--learner", "x", "--expires", "soon"],
        &db,
    );
    assert!(
        !bad.status.success(),
        "a lifetime needs a number and a unit"
    );
    let no_learner = klover(&["token", "create"], &db);
    assert!(
        !no_learner.status.success(),
        "a learner token needs a learner"
    );
    let secret = String::from_utf8(learner.stdout).unwrap().trim().to_owned();
    let revoked = klover(&["token", "revoke", &secret], &db);
    assert!(revoked.status.success());

    let list = klover(&["token", "list"], &db);
    assert!(list.status.success());
    let out = String::from_utf8(list.stdout).unwrap();
    let rows: Vec<&str> = out.lines().skip(1).collect();
    assert_eq!(rows.len(), 2, "{out}");
    assert!(rows[0].contains("\tadmin\t-\tops\t"), "{out}");
    let expiring: Vec<&str> = rows[0].split('\t').collect();
    assert_eq!(expiring.len(), 7, "{out}");
    assert!(expiring[5].starts_with("20"), "expires column: {out}");
    assert!(rows[1].contains("\tlearner\tada\t"), "{out}");
    assert!(
        !rows[1].ends_with('\t'),
        "the revoked one shows when: {out}"
    );
    let admin_secret = String::from_utf8(admin.stdout).unwrap().trim().to_owned();
    for s in [&secret, &admin_secret] {
        assert!(!out.contains(s.as_str()) && !out.contains("klv_"), "{out}");
    }
}

#[tokio::test]
async fn an_expired_token_is_refused() {
    let app = spawn_app_with(with_auth(), klover_server::TutorVoice::Offline).await;
    let ada = app.store.create_learner("ada").await.unwrap();
    let past = chrono::Utc::now() - chrono::Duration::seconds(1);
    let future = chrono::Utc::now() + chrono::Duration::days(1);
    let role = klover_store::Role::Learner;
    let expired = app
        .store
        .create_api_token_expiring(role, Some(&ada.id), "old", Some(past))
        .await
        .unwrap();
    let valid = app
        .store
        .create_api_token_expiring(role, Some(&ada.id), "new", Some(future))
        .await
        .unwrap();
    let http = reqwest::Client::new();
    for (token, status) in [(expired, 401), (valid, 200)] {
        let got = http
            .get(app.http("/api/sessions"))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
            .status()
            .as_u16();
        assert_eq!(got, status);
    }
    app.stop().await.unwrap();
}
