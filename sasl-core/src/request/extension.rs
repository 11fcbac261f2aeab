//! The escape hatch for mechanisms outside this crate family.
//!
//! A third-party mechanism crate asks its question as an [`ExtensionRequest`] holding
//! a value of its own type, and gives applications a typed wrapper, for example:
//!
//! ```
//! use sasl_core::{Answer, ExtensionRequest, MechanismName};
//!
//! /// The question of a (made-up) one-time-code mechanism.
//! pub struct CodeQuestion { pub user: String }
//!
//! /// The typed view applications use.
//! pub struct CheckCode(ExtensionRequest);
//!
//! impl CheckCode {
//!     /// Recognises the request (gives it back if it is another mechanism's).
//!     pub fn from_request(request: ExtensionRequest) -> Result<Self, ExtensionRequest> {
//!         if request.question::<CodeQuestion>().is_some() { Ok(Self(request)) } else { Err(request) }
//!     }
//!     pub fn user(&self) -> &str {
//!         self.0.question::<CodeQuestion>().map_or("", |q| q.user.as_str())
//!     }
//!     pub fn expected_code(self, code: u32) -> Answer { self.0.answer(code) }
//! }
//! # let name = MechanismName::from_static("X-CODE");
//! # let request = ExtensionRequest::new(name, CodeQuestion { user: "tim".into() });
//! let check = CheckCode::from_request(request).map_err(|_| "not ours")?;
//! assert_eq!(check.user(), "tim");
//! let _answer = check.expected_code(123456);
//! # Ok::<(), &str>(())
//! ```
//!
//! The answer is ticketed like every other: it reaches only the session that asked.

use super::{Answer, Verdict};
use crate::failure::FailureKind;
use crate::mechanism::MechanismName;
use crate::ticket::Ticket;
use core::any::Any;
use core::fmt;

/// A question of a mechanism from outside this crate family.
pub struct ExtensionRequest {
    pub(super) ticket: Ticket,
    pub(super) mechanism: MechanismName,
    question: Payload,
}

impl ExtensionRequest {
    /// Builds the request (for mechanism implementations).
    pub fn new<Q: Any + Send>(mechanism: MechanismName, question: Q) -> Self {
        Self {
            ticket: Ticket::UNSTAMPED,
            mechanism,
            question: Payload::new(question),
        }
    }

    /// The mechanism asking.
    pub fn mechanism(&self) -> &MechanismName {
        &self.mechanism
    }

    /// The question, if it is of type `Q`.
    pub fn question<Q: Any>(&self) -> Option<&Q> {
        self.question.get::<Q>()
    }

    /// Answers with a value of the mechanism's answer type.
    pub fn answer<A: Any + Send>(self, answer: A) -> Answer {
        Answer::new(
            self.ticket,
            Verdict::Extension(ExtensionAnswer(Payload::new(answer))),
        )
    }

    /// Fails with a given local reason.
    pub fn reject(self, kind: FailureKind) -> Answer {
        Answer::new(self.ticket, Verdict::Rejected(kind))
    }
}

impl fmt::Debug for ExtensionRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The question's content is the mechanism's business and may be secret.
        f.debug_struct("ExtensionRequest")
            .field("mechanism", &self.mechanism)
            .field("question", &self.question.type_name)
            .finish_non_exhaustive()
    }
}

/// The answer to an extension request, as the mechanism receives it (server side in
/// [`Verdict::Extension`], client side in
/// [`ClientInput::Extension`](crate::ClientInput::Extension)).
pub struct ExtensionAnswer(pub(crate) Payload);

impl ExtensionAnswer {
    /// Takes the answer out if it is of type `A`, else gives it back.
    pub fn downcast<A: Any>(self) -> Result<A, Self> {
        self.0.take::<A>().map_err(Self)
    }
}

impl fmt::Debug for ExtensionAnswer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ExtensionAnswer")
            .field("answer", &self.0.type_name)
            .finish_non_exhaustive()
    }
}

/// A value of a type only the mechanism knows, with the type's name for `Debug`
/// (the content itself is never printed: it may be secret).
pub(crate) struct Payload {
    value: Box<dyn Any + Send>,
    pub(crate) type_name: &'static str,
}

impl Payload {
    pub(crate) fn new<T: Any + Send>(value: T) -> Self {
        Self {
            value: Box::new(value),
            type_name: core::any::type_name::<T>(),
        }
    }

    pub(crate) fn get<T: Any>(&self) -> Option<&T> {
        self.value.downcast_ref::<T>()
    }

    pub(crate) fn take<T: Any>(self) -> Result<T, Self> {
        match self.value.downcast::<T>() {
            Ok(value) => Ok(*value),
            Err(value) => Err(Self {
                value,
                type_name: self.type_name,
            }),
        }
    }
}
