//! DNS rebinding: with auth off, a request naming a foreign host is refused (421) on the
//! HTTP API and at the websocket handshake, even with a matching `Origin`.

use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use crate::support::{WsClient, spawn_app};

async fn get_with_host(url: &str, host: &str) -> reqwest::StatusCode {
    reqwest::Client::new()
        .get(url)
        .header("host", host)
        .send()
        .await
        .unwrap()
        .status()
}

#[tokio::test]
async fn a_rebound_host_is_refused_on_the_api_and_the_websocket() {
    let app = spawn_app().await;
    let port = app.addr.port();
    let evil = format!("evil.example:{port}");
    for path in [
        "/api/sessions",
        "/api/curricula",
        "/api/author/curricula/async-python",
        "/",
    ] {
        let status = get_with_host(&app.http(path), &evil).await;
        assert_eq!(status.as_u16(), 421, "{path} with Host {evil}");
    }
    // The upgrade, with the Origin a rebinding page would send.
    let mut req = app.ws_url().into_client_request().unwrap();
    req.headers_mut().insert("host", evil.parse().unwrap());
    let origin = format!("http://{evil}");
    req.headers_mut().insert("origin", origin.parse().unwrap());
    let err = tokio_tungstenite::connect_async(req).await.err().unwrap();
    match err {
        tokio_tungstenite::tungstenite::Error::Http(resp) => {
            assert_eq!(resp.status().as_u16(), 421);
        }
        other => panic!("expected an HTTP refusal, got {other:?}"),
    }
    app.stop().await.unwrap();
}

#[tokio::test]
async fn localhost_and_the_bound_address_are_served() {
    let app = spawn_app().await;
    let port = app.addr.port();
    for host in [format!("localhost:{port}"), format!("127.0.0.1:{port}")] {
        let status = get_with_host(&app.http("/api/sessions"), &host).await;
        assert_eq!(status.as_u16(), 200, "Host {host}");
    }
    let mut c = WsClient::connect_with_origin(
        &format!("ws://localhost:{port}/ws"),
        &format!("http://localhost:{port}"),
    )
    .await
    .unwrap();
    let events = c.start("async-python", None).await;
    assert!(crate::support::find(&events, "session").is_some());
    app.stop().await.unwrap();
}
