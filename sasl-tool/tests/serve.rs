//! `sasl serve` end to end: the real binary on loopback, driven with raw IMAP, SMTP
//! and POP3 lines and sasl-core client sessions (over rustls where TLS is needed).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::{BASE_ARGS, Client, Noise, Proto, Server, login, mechanisms, prepare, tls_config};
use std::time::{Duration, Instant};

const ALL_PLAIN_TEXT: [&str; 6] = [
    "--imap",
    "127.0.0.1:0",
    "--smtp",
    "127.0.0.1:0",
    "--pop3",
    "127.0.0.1:0",
];

fn server(extra: &[&str]) -> Server {
    let mut args: Vec<&str> = ALL_PLAIN_TEXT.to_vec();
    args.extend_from_slice(&BASE_ARGS);
    args.extend_from_slice(extra);
    Server::start(&args)
}

fn listener(proto: Proto) -> &'static str {
    match proto {
        Proto::Imap => "imap",
        Proto::Smtp => "smtp",
        Proto::Pop3 => "pop3",
    }
}

const PROTOS: [Proto; 3] = [Proto::Imap, Proto::Smtp, Proto::Pop3];

#[test]
fn banner_names_every_listener_and_the_certificate() {
    let server = server(&[]);
    assert!(server.cert().is_file(), "{:?}", server.banner);
    for name in ["imap", "smtp", "pop3"] {
        assert_ne!(server.addr(name).port(), 0);
    }
    assert!(
        server
            .banner
            .iter()
            .any(|l| l.starts_with("fingerprint SHA256 "))
    );
    assert!(
        server
            .banner
            .iter()
            .any(|l| l.starts_with("imap 127.0.0.1:") && l.ends_with("(STARTTLS)"))
    );
    assert!(
        server
            .banner
            .iter()
            .any(|l| l.starts_with("pop3 127.0.0.1:") && l.ends_with("(STLS)"))
    );
}

#[test]
fn capabilities_depend_on_tls() {
    let server = server(&[]);
    let tls = tls_config(server.cert(), None);
    for proto in PROTOS {
        let mut client = Client::connect(server.addr(listener(proto)));
        let before = prepare(&mut client, proto, None);
        assert!(
            before.contains(&"SCRAM-SHA-256".to_owned()),
            "{proto:?} {before:?}"
        );
        assert!(
            !before.iter().any(|m| m == "PLAIN" || m == "LOGIN"),
            "{proto:?} {before:?}"
        );
        assert!(
            !before.iter().any(|m| m.ends_with("-PLUS")),
            "{proto:?} {before:?}"
        );
        let mut client = Client::connect(server.addr(listener(proto)));
        let after = prepare(&mut client, proto, Some(tls.clone()));
        for wanted in [
            "PLAIN",
            "LOGIN",
            "SCRAM-SHA-256-PLUS",
            "SCRAM-SHA-1-PLUS",
            "SCRAM-SHA-256",
        ] {
            assert!(after.contains(&wanted.to_owned()), "{proto:?} {after:?}");
        }
        assert!(
            !after.contains(&"EXTERNAL".to_owned()),
            "no client certificate: {after:?}"
        );
    }
    // STARTTLS is offered before TLS only.
    let mut client = Client::connect(server.addr("imap"));
    let greeting = client.recv().unwrap();
    assert!(greeting.contains(" STARTTLS"), "{greeting}");
    let mut client = Client::connect(server.addr("smtp"));
    client.recv();
    let ehlo = client.smtp("EHLO x");
    assert!(ehlo.iter().any(|l| l == "250-STARTTLS"), "{ehlo:?}");
    client.smtp("STARTTLS");
    client.upgrade(tls);
    let ehlo = client.smtp("EHLO x");
    assert!(!ehlo.iter().any(|l| l.contains("STARTTLS")), "{ehlo:?}");
}

/// After a login, what a client does to end its session cleanly.
fn use_the_account(client: &mut Client, proto: Proto) {
    match proto {
        Proto::Imap => {
            let list = client.imap("l1", "LIST \"\" \"*\"");
            assert!(list.iter().any(|l| l.contains("INBOX")), "{list:?}");
            let select = client.imap("s2", "SELECT INBOX");
            assert!(select.contains(&"* 0 EXISTS".to_owned()), "{select:?}");
            assert!(
                select.last().unwrap().starts_with("s2 OK [READ-WRITE]"),
                "{select:?}"
            );
            assert!(
                client
                    .imap("n1", "NOOP")
                    .last()
                    .unwrap()
                    .starts_with("n1 OK")
            );
            assert!(
                client
                    .imap("c2", "CLOSE")
                    .last()
                    .unwrap()
                    .starts_with("c2 OK")
            );
            let logout = client.imap("o1", "LOGOUT");
            assert_eq!(logout[0], "* BYE Logging out");
            assert!(client.recv().is_none());
        }
        Proto::Smtp => {
            assert!(client.smtp("MAIL FROM:<a@example.org>")[0].starts_with("250"));
            assert!(client.smtp("RCPT TO:<b@example.org>")[0].starts_with("250"));
            assert!(client.smtp("DATA")[0].starts_with("354"));
            client.send("Subject: test");
            client.send("");
            client.send("..a dot-stuffed line");
            let done = client.smtp(".");
            assert!(done[0].starts_with("250 2.0.0"), "{done:?}");
            assert!(client.smtp("RSET")[0].starts_with("250"));
            assert!(client.smtp("QUIT")[0].starts_with("221"));
            assert!(client.recv().is_none());
        }
        Proto::Pop3 => {
            assert_eq!(client.pop3("STAT"), "+OK 0 0");
            assert_eq!(client.pop3_multi("LIST").last().unwrap(), ".");
            assert_eq!(client.pop3_multi("UIDL").last().unwrap(), ".");
            assert!(client.pop3("RETR 1").starts_with("-ERR"));
            assert!(client.pop3("NOOP").starts_with("+OK"));
            assert!(client.pop3("QUIT").starts_with("+OK"));
            assert!(client.recv().is_none());
        }
    }
}

#[test]
fn every_mechanism_over_every_protocol_with_starttls() {
    let server = server(&[]);
    let tls = tls_config(server.cert(), None);
    for proto in PROTOS {
        for mechanism in [
            "PLAIN",
            "LOGIN",
            "SCRAM-SHA-256",
            "SCRAM-SHA-256-PLUS",
            "SCRAM-SHA-1-PLUS",
        ] {
            let mut client = Client::connect(server.addr(listener(proto)));
            let advertised = prepare(&mut client, proto, Some(tls.clone()));
            let result = login(
                &mut client,
                proto,
                &advertised,
                mechanism,
                "alice",
                "secret",
            );
            assert!(
                result.authenticated,
                "{proto:?} {mechanism}: {result:?}\n{}",
                server.log()
            );
            if mechanism.starts_with("SCRAM") {
                // client-first, server-first, then server-final as a last challenge.
                assert_eq!(result.challenges, 2, "{proto:?} {mechanism}: {result:?}");
            }
            use_the_account(&mut client, proto);
        }
    }
    let log = server.wait_for_log("SCRAM-SHA-1-PLUS\" outcome=success");
    assert!(
        log.contains("reason=\"channel binding tls-exporter\""),
        "{log}"
    );
    assert!(
        !log.contains("secret"),
        "the password is never logged: {log}"
    );
}

#[test]
fn implicit_tls_listeners() {
    let server = Server::start(&[
        "--imaps",
        "127.0.0.1:0",
        "--submissions",
        "127.0.0.1:0",
        "--pop3s",
        "127.0.0.1:0",
        "--account",
        "alice:secret",
        "--failure-delay",
        "0",
    ]);
    assert!(
        server
            .banner
            .iter()
            .any(|l| l.starts_with("imaps ") && l.ends_with("(TLS)"))
    );
    let tls = tls_config(server.cert(), None);
    for (name, proto) in [
        ("imaps", Proto::Imap),
        ("submissions", Proto::Smtp),
        ("pop3s", Proto::Pop3),
    ] {
        for mechanism in ["SCRAM-SHA-256-PLUS", "PLAIN"] {
            let mut client = Client::connect_tls(server.addr(name), tls.clone());
            let advertised = prepare(&mut client, proto, None);
            assert!(
                advertised.contains(&"PLAIN".to_owned()),
                "{name}: {advertised:?}"
            );
            let result = login(
                &mut client,
                proto,
                &advertised,
                mechanism,
                "alice",
                "secret",
            );
            assert!(result.authenticated, "{name} {mechanism}: {result:?}");
            use_the_account(&mut client, proto);
        }
    }
}

#[test]
fn scram_works_before_tls_and_plain_is_refused_there() {
    let server = server(&[]);
    for proto in PROTOS {
        let mut client = Client::connect(server.addr(listener(proto)));
        let advertised = prepare(&mut client, proto, None);
        let result = login(
            &mut client,
            proto,
            &advertised,
            "SCRAM-SHA-256",
            "alice",
            "secret",
        );
        assert!(result.authenticated, "{proto:?}: {result:?}");
    }
    // PLAIN before TLS: the mechanism needs encryption.
    let mut client = Client::connect(server.addr("imap"));
    client.recv();
    let reply = client.imap("p1", "AUTHENTICATE PLAIN AGFsaWNlAHNlY3JldA==");
    assert!(
        reply.last().unwrap().starts_with("p1 NO [PRIVACYREQUIRED]"),
        "{reply:?}"
    );
    let mut client = Client::connect(server.addr("smtp"));
    client.recv();
    client.smtp("EHLO x");
    let reply = client.smtp("AUTH PLAIN AGFsaWNlAHNlY3JldA==");
    assert!(reply[0].starts_with("538 5.7.11"), "{reply:?}");
}

#[test]
fn plaintext_passwords_when_allowed() {
    let server = server(&["--allow-plaintext"]);
    let mut client = Client::connect(server.addr("imap"));
    let advertised = prepare(&mut client, Proto::Imap, None);
    assert!(advertised.contains(&"PLAIN".to_owned()), "{advertised:?}");
    let result = login(
        &mut client,
        Proto::Imap,
        &advertised,
        "PLAIN",
        "alice",
        "secret",
    );
    assert!(result.authenticated, "{result:?}");
}

#[test]
fn wrong_and_unknown_users_fail_alike() {
    let server = server(&[]);
    let tls = tls_config(server.cert(), None);
    for proto in PROTOS {
        let mut replies = Vec::new();
        for (mechanism, user, password) in [
            ("PLAIN", "alice", "wrong"),
            ("PLAIN", "mallory", "secret"),
            ("SCRAM-SHA-256", "alice", "wrong"),
            ("SCRAM-SHA-256", "mallory", "secret"),
        ] {
            let mut client = Client::connect(server.addr(listener(proto)));
            let advertised = prepare(&mut client, proto, Some(tls.clone()));
            let result = login(&mut client, proto, &advertised, mechanism, user, password);
            assert!(
                !result.authenticated,
                "{proto:?} {mechanism} {user}: {result:?}"
            );
            replies.push(result.reply);
        }
        let expected = match proto {
            Proto::Imap => "a1 NO [AUTHENTICATIONFAILED]",
            Proto::Smtp => "535 5.7.8",
            Proto::Pop3 => "-ERR [AUTH]",
        };
        for reply in &replies {
            assert!(reply.starts_with(expected), "{proto:?}: {replies:?}");
            assert_eq!(
                reply, &replies[0],
                "{proto:?}: unknown users look like wrong passwords"
            );
        }
    }
    let log = server.wait_for_log("identity=\"mallory\"");
    assert!(
        log.contains("outcome=failure identity=\"mallory\" reason=\"UnknownUser"),
        "{log}"
    );
    assert!(!log.contains("wrong"), "no password in the log: {log}");
}

#[test]
fn cancel_with_star() {
    let server = server(&[]);
    let tls = tls_config(server.cert(), None);
    for proto in PROTOS {
        let mut client = Client::connect(server.addr(listener(proto)));
        prepare(&mut client, proto, Some(tls.clone()));
        let command = match proto {
            Proto::Imap => "a1 AUTHENTICATE PLAIN",
            _ => "AUTH PLAIN",
        };
        client.send(command);
        let challenge = client.recv().unwrap();
        assert!(
            challenge == "+ " || challenge == "334 ",
            "{proto:?}: {challenge:?}"
        );
        client.send("*");
        let reply = client.recv().unwrap();
        let expected = match proto {
            Proto::Imap => "a1 BAD",
            Proto::Smtp => "501 5.7.0",
            Proto::Pop3 => "-ERR",
        };
        assert!(reply.starts_with(expected), "{proto:?}: {reply}");
        // The connection goes on: a login still works.
        let advertised = mechanisms(&mut client, proto);
        let result = login(&mut client, proto, &advertised, "PLAIN", "alice", "secret");
        assert!(result.authenticated, "{proto:?}: {result:?}");
    }
}

#[test]
fn sasl_ir_empty_and_not_base64() {
    let server = server(&[]);
    let tls = tls_config(server.cert(), None);
    let mut client = Client::connect(server.addr("imap"));
    prepare(&mut client, Proto::Imap, Some(tls.clone()));
    // `=` is an empty initial response: PLAIN fails on it, it is not "no response".
    let reply = client.imap("e1", "AUTHENTICATE PLAIN =");
    assert!(reply.last().unwrap().starts_with("e1 "), "{reply:?}");
    assert!(!reply.iter().any(|l| l.starts_with("+ ")), "{reply:?}");
    let reply = client.imap("e2", "AUTHENTICATE PLAIN !!!notbase64");
    assert!(reply.last().unwrap().starts_with("e2 BAD"), "{reply:?}");
    let reply = client.imap("e3", "AUTHENTICATE X-UNKNOWN");
    assert!(reply.last().unwrap().starts_with("e3 NO"), "{reply:?}");
    let reply = client.imap("e4", "LOGIN alice secret");
    assert!(reply.last().unwrap().starts_with("e4 NO"), "{reply:?}");
    let mut client = Client::connect(server.addr("smtp"));
    prepare(&mut client, Proto::Smtp, Some(tls.clone()));
    let reply = client.smtp("AUTH X-UNKNOWN");
    assert!(reply[0].starts_with("504 5.5.4"), "{reply:?}");
    let reply = client.smtp("MAIL FROM:<a@b>");
    assert!(reply[0].starts_with("530"), "{reply:?}");
    let mut client = Client::connect(server.addr("pop3"));
    prepare(&mut client, Proto::Pop3, Some(tls));
    assert!(client.pop3("USER alice").starts_with("-ERR"));
    assert!(client.pop3("STAT").starts_with("-ERR"));
}

#[test]
fn overlong_lines_close_the_connection() {
    let server = server(&[]);
    for proto in PROTOS {
        // A command line over the 8 KiB command cap.
        let mut client = Client::connect(server.addr(listener(proto)));
        client.recv();
        let long = "X".repeat(10 * 1024);
        let _ = client.send_raw(format!("a1 NOOP {long}\r\n").as_bytes());
        let reply = client.recv().unwrap_or_default();
        let expected = match proto {
            Proto::Imap => "* BYE",
            Proto::Smtp => "500 5.5.6",
            Proto::Pop3 => "-ERR",
        };
        assert!(reply.starts_with(expected), "{proto:?}: {reply}");
        assert!(client.recv().is_none(), "{proto:?}: closed");
        // An AUTH line over the 64 KiB cap, without a line end.
        let mut client = Client::connect(server.addr(listener(proto)));
        client.recv();
        let huge = "A".repeat(70 * 1024);
        let _ = client.send_raw(format!("a1 AUTHENTICATE PLAIN {huge}").as_bytes());
        let reply = client.recv().unwrap_or_default();
        assert!(reply.starts_with(expected), "{proto:?}: {reply}");
        assert!(client.recv().is_none(), "{proto:?}: closed");
    }
}

#[test]
fn connection_cap_refuses_politely() {
    let server = server(&["--max-connections", "2"]);
    let mut first = Client::connect(server.addr("imap"));
    assert!(first.recv().unwrap().starts_with("* OK"));
    let mut second = Client::connect(server.addr("smtp"));
    assert!(second.recv().unwrap().starts_with("220"));
    for (proto, busy) in [
        (Proto::Imap, "* BYE [UNAVAILABLE]"),
        (Proto::Smtp, "421 4.3.2"),
        (Proto::Pop3, "-ERR [SYS/TEMP]"),
    ] {
        let mut third = Client::connect(server.addr(listener(proto)));
        let reply = third.recv().unwrap_or_default();
        assert!(reply.starts_with(busy), "{proto:?}: {reply}");
        assert!(third.recv().is_none());
    }
    // A freed slot is served again.
    first.imap("o1", "LOGOUT");
    drop(first);
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let mut again = Client::connect(server.addr("pop3"));
        let greeting = again.recv().unwrap_or_default();
        if greeting.starts_with("+OK") {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the slot was never freed: {greeting}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn idle_connections_time_out() {
    let server = server(&["--timeout", "1"]);
    for (proto, bye) in [
        (Proto::Imap, "* BYE Autologout"),
        (Proto::Smtp, "421 4.4.2"),
        (Proto::Pop3, "-ERR Timeout"),
    ] {
        let mut client = Client::connect(server.addr(listener(proto)));
        client.recv();
        let started = Instant::now();
        let reply = client.recv().unwrap_or_default();
        assert!(reply.starts_with(bye), "{proto:?}: {reply}");
        assert!(client.recv().is_none());
        assert!(started.elapsed() >= Duration::from_millis(900));
    }
    // Also in the middle of an exchange.
    let mut client = Client::connect(server.addr("imap"));
    client.recv();
    client.send("a1 AUTHENTICATE SCRAM-SHA-256");
    assert_eq!(client.recv().unwrap(), "+ ");
    let reply = client.recv().unwrap_or_default();
    assert!(reply.starts_with("* BYE"), "{reply}");
}

#[test]
fn a_line_trickled_byte_by_byte_times_out_as_a_whole() {
    // Slow-loris: one byte every 300 ms, never a line end. Each read is well within
    // the 1 s timeout, but the line is not: the server must cut it off.
    let server = server(&["--timeout", "1"]);
    let mut client = Client::connect(server.addr("imap"));
    client.recv();
    let stream = client.stream_clone();
    let started = Instant::now();
    let trickle = std::thread::spawn(move || {
        let mut stream = stream;
        for _ in 0..30 {
            if std::io::Write::write_all(&mut stream, b"a").is_err() {
                break;
            }
            std::thread::sleep(Duration::from_millis(300));
        }
    });
    let reply = client.recv().unwrap_or_default();
    assert!(reply.starts_with("* BYE Autologout"), "{reply}");
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "cut off after {:?}",
        started.elapsed()
    );
    trickle.join().unwrap();
}

#[test]
fn failure_delay_is_applied() {
    let server = Server::start(&[
        "--smtp",
        "127.0.0.1:0",
        "--account",
        "alice:secret",
        "--failure-delay",
        "400",
    ]);
    let tls = tls_config(server.cert(), None);
    let mut client = Client::connect(server.addr("smtp"));
    let advertised = prepare(&mut client, Proto::Smtp, Some(tls));
    let started = Instant::now();
    let result = login(
        &mut client,
        Proto::Smtp,
        &advertised,
        "PLAIN",
        "alice",
        "wrong",
    );
    assert!(!result.authenticated);
    assert!(
        started.elapsed() >= Duration::from_millis(400),
        "{:?}",
        started.elapsed()
    );
    let started = Instant::now();
    let result = login(
        &mut client,
        Proto::Smtp,
        &advertised,
        "PLAIN",
        "alice",
        "secret",
    );
    assert!(result.authenticated, "{result:?}");
    assert!(
        started.elapsed() < Duration::from_millis(400),
        "no delay on success"
    );
}

#[test]
fn too_many_failures_close_the_connection() {
    let server = server(&[]);
    let tls = tls_config(server.cert(), None);
    let mut client = Client::connect(server.addr("imap"));
    let advertised = prepare(&mut client, Proto::Imap, Some(tls));
    for _ in 0..5 {
        let result = login(
            &mut client,
            Proto::Imap,
            &advertised,
            "PLAIN",
            "alice",
            "wrong",
        );
        assert!(result.reply.starts_with("a1 NO"), "{result:?}");
    }
    assert!(client.recv().unwrap().starts_with("* BYE"));
    assert!(client.recv().is_none());
}

#[test]
fn garbage_never_crashes_the_server() {
    let mut server = server(&["--timeout", "2"]);
    let mut noise = Noise(0x5eed_1234_abcd_0001);
    let prefixes: [&[u8]; 6] = [
        b"",
        b"a1 AUTHENTICATE SCRAM-SHA-256\r\n",
        b"a1 AUTHENTICATE PLAIN\r\n",
        b"EHLO x\r\nAUTH LOGIN\r\n",
        b"AUTH SCRAM-SHA-1 biwsbj1hbGljZSxyPXh5eg==\r\n",
        b"STARTTLS\r\n",
    ];
    for round in 0..36 {
        let proto = PROTOS[round % 3];
        let mut client = Client::connect(server.addr(listener(proto)));
        client.recv();
        let prefix = prefixes[round % prefixes.len()];
        let _ = client.send_raw(prefix);
        for _ in 0..8 {
            let len = (noise.next() % 600) as usize;
            let mut chunk = noise.bytes(len);
            if noise.next().is_multiple_of(2) {
                chunk.extend_from_slice(b"\r\n");
            }
            if client.send_raw(&chunk).is_err() {
                break;
            }
        }
        drop(client);
    }
    // Lines of random printable words too.
    for proto in PROTOS {
        let mut client = Client::connect(server.addr(listener(proto)));
        client.recv();
        for _ in 0..50 {
            let words: Vec<String> = (0..(noise.next() % 5))
                .map(|_| {
                    let n = 1 + noise.next() % 12;
                    noise.printable(n as usize)
                })
                .collect();
            client.send(&words.join(" "));
            if client.recv().is_none() {
                break;
            }
        }
    }
    assert!(server.is_running(), "the server survived: {}", server.log());
    let tls = tls_config(server.cert(), None);
    for proto in PROTOS {
        let mut client = Client::connect(server.addr(listener(proto)));
        let advertised = prepare(&mut client, proto, Some(tls.clone()));
        let result = login(
            &mut client,
            proto,
            &advertised,
            "SCRAM-SHA-256-PLUS",
            "alice",
            "secret",
        );
        assert!(
            result.authenticated,
            "{proto:?} after the garbage: {result:?}"
        );
    }
}

#[test]
fn starttls_twice_and_pipelined_plaintext() {
    let server = server(&[]);
    let tls = tls_config(server.cert(), None);
    let mut client = Client::connect(server.addr("imap"));
    prepare(&mut client, Proto::Imap, Some(tls));
    let reply = client.imap("t2", "STARTTLS");
    assert!(reply.last().unwrap().starts_with("t2 BAD"), "{reply:?}");
    // Commands pipelined behind STARTTLS in plain text are thrown away.
    let mut client = Client::connect(server.addr("smtp"));
    client.recv();
    client.smtp("EHLO x");
    client
        .send_raw(b"STARTTLS\r\nMAIL FROM:<injected@example.org>\r\n")
        .unwrap();
    let reply = client.smtp_reply();
    assert!(reply[0].starts_with("220"), "{reply:?}");
    client.upgrade(tls_config(server.cert(), None));
    let reply = client.smtp("NOOP");
    assert_eq!(
        reply,
        vec!["250 2.0.0 OK".to_owned()],
        "nothing injected was answered"
    );
}

#[test]
fn ctrl_c_stops_the_server() {
    let mut server = server(&[]);
    let pid = server.pid();
    let status = std::process::Command::new("kill")
        .args(["-INT", &pid.to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(10);
    while server.is_running() {
        assert!(Instant::now() < deadline, "still running after SIGINT");
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(
        !server.cert().exists(),
        "the generated certificate is removed"
    );
}
