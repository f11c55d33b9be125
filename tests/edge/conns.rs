//! Idle and slow-header connections are closed after the header-read timeout while a
//! learner keeps chatting, and the connection caps refuse what is over them.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::support::{spawn_app_with, test_settings};

/// Hang guard only: the server's bound in these tests is 1 s.
const GUARD: Duration = Duration::from_secs(20);

/// Reads until the server closes the connection; returns the bytes it sent.
async fn until_closed(tcp: &mut TcpStream) -> Vec<u8> {
    let mut got = Vec::new();
    let mut buf = [0u8; 1024];
    let read = async {
        loop {
            match tcp.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => got.extend_from_slice(&buf[..n]),
            }
        }
    };
    tokio::time::timeout(GUARD, read)
        .await
        .expect("the server kept the connection open");
    got
}

#[tokio::test]
async fn idle_and_slowloris_sockets_are_closed_while_a_learner_keeps_chatting() {
    let mut settings = test_settings();
    settings.limits.header_read_timeout_ms = 1000;
    let app = spawn_app_with(settings, klover_server::TutorVoice::Offline).await;

    let mut idle = Vec::new();
    for _ in 0..50 {
        idle.push(TcpStream::connect(app.addr).await.unwrap());
    }
    // Slowloris: a header byte every 200 ms, never finishing the request.
    let mut slow = TcpStream::connect(app.addr).await.unwrap();
    let addr = app.addr;
    let drip = tokio::spawn(async move {
        let request = format!("GET /healthz HTTP/1.1\r\nHost: {addr}\r\nX-Pad: ");
        for b in request.bytes().chain(std::iter::repeat(b'a')) {
            if slow.write_all(&[b]).await.is_err() {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
            if slow.try_read(&mut [0u8; 16]).is_ok_and(|n| n == 0) {
                return true;
            }
        }
        false
    });

    // Meanwhile a learner chats, on a websocket opened after the attackers.
    let mut learner = app.client().await;
    learner.start("async-python", None).await;
    for line in crate::support::seed_lines().iter().take(3) {
        let events = learner.turn(line).await;
        assert!(crate::support::find(&events, "tutor_done").is_some());
    }

    for mut tcp in idle {
        until_closed(&mut tcp).await;
    }
    let closed = tokio::time::timeout(GUARD, drip).await.unwrap().unwrap();
    assert!(closed, "the slowloris connection was closed");
    // The learner's websocket outlived them all.
    let events = learner
        .turn("an event loop runs one callback at a time")
        .await;
    assert!(crate::support::find(&events, "tutor_done").is_some());
    app.stop().await.unwrap();
}

#[tokio::test]
async fn connections_over_the_per_ip_cap_are_closed_at_once_and_freed_slots_come_back() {
    let mut settings = test_settings();
    settings.limits.max_connections_per_ip = 3;
    let app = spawn_app_with(settings, klover_server::TutorVoice::Offline).await;
    let mut held = Vec::new();
    for _ in 0..3 {
        held.push(app.client().await);
    }
    let mut fourth = TcpStream::connect(app.addr).await.unwrap();
    let request = format!("GET /healthz HTTP/1.1\r\nHost: {}\r\n\r\n", app.addr);
    let _ = fourth.write_all(request.as_bytes()).await;
    assert!(
        until_closed(&mut fourth).await.is_empty(),
        "no answer over the cap"
    );
    assert_eq!(app.state.edge.conns.open(), 3);
    // A websocket that ends gives its slot back.
    held.pop().unwrap().drop_connection();
    let free = async {
        while app.state.edge.conns.open() > 2 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    tokio::time::timeout(GUARD, free).await.unwrap();
    let status = reqwest::get(app.http("/healthz")).await.unwrap().status();
    assert_eq!(status.as_u16(), 200);
    app.stop().await.unwrap();
}
