//! The extension model, exercised by a mechanism written outside the family (a
//! made-up one-time-code mechanism, `X-CODE`), as a third-party crate would write it:
//! its own typed request wrappers on both sides, the time passed in by the
//! application, availability per connection, and typed data on success.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use sasl_core::{
    Answer, ClientAnswer, ClientContext, ClientCredentials, ClientExtensionRequest, ClientInput,
    ClientMechanism, ClientMechanismFactory, ClientOutcome, ClientRegistry, ClientRequest,
    ClientStep, ClientSuccess, ConnectionInfo, Error, ExtensionData, ExtensionRequest, FailureKind,
    MechanismData, MechanismName, MechanismProperties, Misuse, Request, Secret, ServerContext,
    ServerFailure, ServerMechanism, ServerMechanismFactory, ServerRegistry, ServerReply,
    ServerStep, ServerSuccess, UnixTime, Verdict,
};

const X_CODE: MechanismName = MechanismName::from_static("X-CODE");

// ----- What the third-party crate exports --------------------------------------------

/// The server's question: is `code` right for `user`?
struct CodeQuestion {
    user: String,
}

/// The application's answer: the code expected now.
struct ExpectedCode(u32);

/// What a login tells the server: when the code was used.
#[derive(Debug, PartialEq)]
struct CodeUsed {
    user: String,
    at: UnixTime,
}

/// The typed view of the request that server applications use.
struct CheckCode(ExtensionRequest);

impl CheckCode {
    fn from_request(request: ExtensionRequest) -> Result<Self, ExtensionRequest> {
        if request.question::<CodeQuestion>().is_some() {
            Ok(Self(request))
        } else {
            Err(request)
        }
    }
    fn user(&self) -> &str {
        self.0
            .question::<CodeQuestion>()
            .map_or("", |q| q.user.as_str())
    }
    fn expect(self, code: u32) -> Answer {
        self.0.answer(ExpectedCode(code))
    }
}

/// The client's question: which code does the user's token show?
struct CodePrompt;

struct CodeServer {
    now: Option<UnixTime>,
    presented: Option<(String, u32)>,
}

impl ServerMechanism for CodeServer {
    fn start(&mut self, initial: Option<&[u8]>) -> Result<ServerStep, Error> {
        let Some(initial) = initial else {
            return Ok(ServerStep::Challenge(Vec::new()));
        };
        self.step(initial)
    }

    fn step(&mut self, response: &[u8]) -> Result<ServerStep, Error> {
        let parsed = std::str::from_utf8(response)
            .ok()
            .and_then(|s| s.split_once(' '))
            .and_then(|(user, code)| Some((user.to_owned(), code.parse::<u32>().ok()?)));
        let Some((user, code)) = parsed else {
            return Ok(ServerStep::Failure(ServerFailure::new(
                FailureKind::Malformed,
                "expected 'user code'",
            )));
        };
        self.presented = Some((user.clone(), code));
        Ok(ServerStep::Request(Request::Extension(
            ExtensionRequest::new(X_CODE, CodeQuestion { user }),
        )))
    }

    fn provide(&mut self, verdict: Verdict) -> Result<ServerStep, Error> {
        let (Some((user, code)), Verdict::Extension(answer)) = (self.presented.take(), verdict)
        else {
            return Err(Misuse::AnswerMismatch.into());
        };
        let Ok(ExpectedCode(expected)) = answer.downcast::<ExpectedCode>() else {
            return Err(Misuse::AnswerMismatch.into());
        };
        // One-time codes are only valid at a time: without one, fail closed.
        let Some(at) = self.now else {
            return Ok(ServerStep::Failure(ServerFailure::new(
                FailureKind::Internal,
                "the application gave no time",
            )));
        };
        Ok(ServerStep::Success(if code == expected {
            let used = CodeUsed {
                user: user.clone(),
                at,
            };
            ServerSuccess::new(X_CODE, user)
                .with_mechanism_data(MechanismData::Extension(ExtensionData::new(used)))
        } else {
            return Ok(ServerStep::Failure(ServerFailure::new(
                FailureKind::InvalidCredentials,
                "wrong code",
            )));
        }))
    }

    fn set_now(&mut self, now: UnixTime) {
        self.now = Some(now);
    }
}

/// Available only where the application established who the client is outside SASL
/// (the code is a second factor on top of a client certificate).
struct CodeServerFactory;

impl ServerMechanismFactory for CodeServerFactory {
    fn mechanism(&self) -> MechanismName {
        X_CODE
    }
    fn properties(&self) -> MechanismProperties {
        MechanismProperties::protected(sasl_core::ChannelBindingUse::Never)
    }
    fn is_available(&self, connection: &ConnectionInfo) -> bool {
        connection.external_identity().is_some()
    }
    fn start(&self, _context: &ServerContext<'_>) -> Result<Box<dyn ServerMechanism>, Error> {
        Ok(Box::new(CodeServer {
            now: None,
            presented: None,
        }))
    }
}

struct CodeClient {
    user: String,
    sent: bool,
}

impl ClientMechanism for CodeClient {
    fn start(&mut self) -> Result<ClientStep, Error> {
        Ok(ClientStep::Request(ClientRequest::Extension(
            ClientExtensionRequest::new(X_CODE, CodePrompt),
        )))
    }
    fn step(&mut self, _challenge: &[u8]) -> Result<ClientStep, Error> {
        Ok(ClientStep::Abort(sasl_core::ClientFailure::new(
            FailureKind::Protocol,
            "X-CODE has no challenges",
        )))
    }
    fn provide(&mut self, input: ClientInput) -> Result<ClientStep, Error> {
        let ClientInput::Extension(answer) = input else {
            return Err(Misuse::AnswerMismatch.into());
        };
        let Ok(code) = answer.downcast::<u32>() else {
            return Err(Misuse::AnswerMismatch.into());
        };
        self.sent = true;
        Ok(ClientStep::Respond(Secret::new(
            format!("{} {code}", self.user).into_bytes(),
        )))
    }
    fn finish(&mut self, reply: ServerReply) -> Result<ClientOutcome, Error> {
        Ok(match reply {
            ServerReply::Success { .. } if self.sent => {
                ClientOutcome::Success(ClientSuccess::new(X_CODE))
            }
            ServerReply::Success { .. } => ClientOutcome::Failure(sasl_core::ClientFailure::new(
                FailureKind::Protocol,
                "success before the code was sent",
            )),
            ServerReply::Failure(reply) => {
                ClientOutcome::Failure(sasl_core::ClientFailure::from_reply(&reply))
            }
        })
    }
}

struct CodeClientFactory;

impl ClientMechanismFactory for CodeClientFactory {
    fn mechanism(&self) -> MechanismName {
        X_CODE
    }
    fn properties(&self) -> MechanismProperties {
        MechanismProperties::protected(sasl_core::ChannelBindingUse::Never)
    }
    fn can_use(&self, _credentials: &ClientCredentials) -> bool {
        true
    }
    fn start(&self, context: ClientContext<'_>) -> Result<Box<dyn ClientMechanism>, Error> {
        Ok(Box::new(CodeClient {
            user: context.credentials.authcid().to_owned(),
            sent: false,
        }))
    }
}

// ----- The application ---------------------------------------------------------------

fn certified() -> ConnectionInfo {
    ConnectionInfo::tls()
        .with_external_identity("tim")
        .with_peer_certificates([vec![0x30, 0x00]])
}

/// Answers every question with one match, the extension through its typed wrapper.
fn answer(request: Request) -> Answer {
    match request {
        Request::Extension(ext) => match CheckCode::from_request(ext) {
            Ok(check) if check.user() == "tim" => check.expect(123_456),
            Ok(check) => check.0.reject(FailureKind::UnknownUser),
            Err(other) => other.reject(FailureKind::Other),
        },
        other => other.unavailable(),
    }
}

/// Runs client and server with the given time (or none) and the code the user types.
fn login(now: Option<UnixTime>, typed: u32) -> (ServerStep, ClientOutcome) {
    let conn = certified();
    let server = ServerRegistry::new().with(CodeServerFactory);
    let client = ClientRegistry::new().with(CodeClientFactory);
    let advertised = server.advertise(&conn);
    let mut c = client
        .start_best(&advertised, ClientCredentials::new("tim"), &conn)
        .unwrap();
    let ClientStep::Request(ClientRequest::Extension(prompt)) = c.start().unwrap() else {
        panic!("the client asks for the code first")
    };
    assert!(prompt.question::<CodePrompt>().is_some());
    let ClientStep::Respond(message) = c.provide(prompt.answer(typed)).unwrap() else {
        panic!("the client sends the code")
    };
    let mut s = server.start("X-CODE", &conn).unwrap();
    if let Some(now) = now {
        s.set_now(now);
    }
    let step = s.start_with(Some(message.expose()), &answer).unwrap();
    let reply = match &step {
        ServerStep::Success(_) => ServerReply::success(),
        ServerStep::Failure(f) => {
            ServerReply::from_imap("A1", &f.imap().line("A1", "failed")).unwrap()
        }
        other => panic!("unexpected {other:?}"),
    };
    (step, c.finish(reply).unwrap())
}

#[test]
fn availability_follows_the_connection() {
    let server = ServerRegistry::new().with(CodeServerFactory);
    assert!(server.advertise(&ConnectionInfo::tls()).is_empty());
    let refused = server.start("X-CODE", &ConnectionInfo::tls()).unwrap_err();
    assert_eq!(refused.reason().kind(), FailureKind::UnknownMechanism);
    assert_eq!(server.advertise(&certified()), vec![X_CODE]);
    let conn = certified();
    assert_eq!(conn.peer_certificates(), &[vec![0x30, 0x00]]);
    assert_eq!(conn.external_identity(), Some("tim"));
    let client = ConnectionInfo::tls().with_server("imap.example.org", 993);
    assert_eq!(
        (client.server_host(), client.server_port()),
        (Some("imap.example.org"), Some(993))
    );
}

#[test]
fn third_party_mechanism_runs_with_typed_requests_and_data() {
    let now = UnixTime::from_secs(1_764_547_200);
    let (step, outcome) = login(Some(now), 123_456);
    let ServerStep::Success(success) = step else {
        panic!("the right code was refused")
    };
    assert!(outcome.is_authenticated());
    let Some(MechanismData::Extension(data)) = success.mechanism_data() else {
        panic!("no mechanism data")
    };
    assert_eq!(
        data.get::<CodeUsed>(),
        Some(&CodeUsed {
            user: "tim".into(),
            at: now
        })
    );
    assert!(data.get::<u32>().is_none());
    // Debug names the type, never the content.
    assert!(format!("{data:?}").contains("CodeUsed"));
}

#[test]
fn wrong_code_fails_and_the_client_asks_the_user() {
    let (step, outcome) = login(Some(UnixTime::from_secs(1)), 111_111);
    assert!(
        matches!(step, ServerStep::Failure(f) if f.reason().kind() == FailureKind::InvalidCredentials)
    );
    let ClientOutcome::Failure(f) = outcome else {
        panic!("a wrong code was accepted")
    };
    assert_eq!(f.action(), sasl_core::ClientAction::AskUser);
}

#[test]
fn a_mechanism_that_needs_the_time_fails_closed_without_it() {
    let (step, outcome) = login(None, 123_456);
    assert!(matches!(step, ServerStep::Failure(f) if f.reason().kind() == FailureKind::Internal));
    assert!(!outcome.is_authenticated());
}

#[test]
fn extension_answers_are_ticketed() {
    let conn = certified();
    let server = ServerRegistry::new().with(CodeServerFactory);
    let mut a = server.start("X-CODE", &conn).unwrap();
    let mut b = server.start("X-CODE", &conn).unwrap();
    a.set_now(UnixTime::from_secs(5));
    let ServerStep::Request(Request::Extension(question_a)) = a.start(Some(b"tim 123456")).unwrap()
    else {
        panic!()
    };
    let ServerStep::Request(Request::Extension(_question_b)) = b.start(Some(b"tim 1")).unwrap()
    else {
        panic!()
    };
    let answer_a = CheckCode::from_request(question_a)
        .map_err(|_| ())
        .unwrap()
        .expect(123_456);
    let refused = b.provide(answer_a).unwrap_err();
    assert_eq!(refused.misuse(), Misuse::ForeignAnswer);
    // Handed back, it still works where it belongs.
    assert!(matches!(
        a.provide(refused.into_answer()).unwrap(),
        ServerStep::Success(_)
    ));
}

#[test]
fn client_extension_answers_are_ticketed_too() {
    let conn = certified();
    let client = ClientRegistry::new().with(CodeClientFactory);
    let advertised = ["X-CODE"];
    let mut a = client
        .start("X-CODE", &advertised, ClientCredentials::new("tim"), &conn)
        .unwrap();
    let mut b = client
        .start("X-CODE", &advertised, ClientCredentials::new("tim"), &conn)
        .unwrap();
    let ClientStep::Request(prompt_a) = a.start().unwrap() else {
        panic!()
    };
    let ClientStep::Request(_prompt_b) = b.start().unwrap() else {
        panic!()
    };
    let ClientRequest::Extension(prompt_a) = prompt_a else {
        panic!()
    };
    let refused = b.provide(prompt_a.answer(7u32)).unwrap_err();
    assert_eq!(refused.misuse(), Misuse::ForeignAnswer);
    let answer: ClientAnswer = refused.into_answer();
    assert!(matches!(a.provide(answer).unwrap(), ClientStep::Respond(m) if m.expose() == b"tim 7"));
}

/// A client mechanism written before client requests existed: it does not implement
/// `provide`, and still compiles and runs.
struct OldStyleClient;

impl ClientMechanism for OldStyleClient {
    fn start(&mut self) -> Result<ClientStep, Error> {
        Ok(ClientStep::Respond(Secret::new(b"x".to_vec())))
    }
    fn step(&mut self, _challenge: &[u8]) -> Result<ClientStep, Error> {
        Ok(ClientStep::AwaitChallenge)
    }
    fn finish(&mut self, _reply: ServerReply) -> Result<ClientOutcome, Error> {
        Ok(ClientOutcome::Success(ClientSuccess::new(X_CODE)))
    }
}

#[test]
fn mechanisms_without_client_requests_keep_working() {
    let mut m = OldStyleClient;
    assert_eq!(
        m.provide(ClientInput::Declined).unwrap_err(),
        Error::Misuse(Misuse::NoRequestPending)
    );
    let mut session =
        sasl_core::ClientSession::new(X_CODE, Box::new(OldStyleClient), sasl_core::Limits::DEFAULT);
    assert!(matches!(session.start().unwrap(), ClientStep::Respond(_)));
    assert!(
        session
            .finish(ServerReply::success())
            .unwrap()
            .is_authenticated()
    );
}
