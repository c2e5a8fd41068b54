//! `AppError`: the one error type that crosses the server-function boundary, and its display.
//!
//! Every server function returns `Result<T, AppError>`. Internal layers keep their own narrow
//! errors (`StoreError`, `PasswordError`, …); the `From` impls in `crate::server` are the only
//! place that decides which variant (and so which wording) the user gets. Internal causes are
//! logged on the server with a reference and never sent to the browser.

use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

/// One message attached to one form field (`field` is the input's `name`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

/// Field-level validation failures, in the order the fields appear.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldErrors(pub Vec<FieldError>);

impl FieldErrors {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn add(&mut self, field: &str, message: impl Into<String>) {
        self.0.push(FieldError {
            field: field.to_owned(),
            message: message.into(),
        });
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The first message for `field`, if any.
    pub fn get(&self, field: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message.as_str())
    }

    /// `Ok(())` when empty, otherwise the errors as an `AppError::Validation`.
    pub fn into_result(self) -> Result<(), AppError> {
        if self.is_empty() {
            Ok(())
        } else {
            Err(AppError::Validation(self))
        }
    }

    /// A single-field validation error.
    pub fn single(field: &str, message: impl Into<String>) -> AppError {
        let mut errors = Self::new();
        errors.add(field, message);
        AppError::Validation(errors)
    }
}

impl std::fmt::Display for FieldErrors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let messages: Vec<&str> = self.0.iter().map(|e| e.message.as_str()).collect();
        f.write_str(&messages.join(" "))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    /// Input was rejected; each message belongs beside its field.
    #[error("{0}")]
    Validation(FieldErrors),
    /// No signed-in user (or the session ended).
    #[error("Your session has ended. Sign in to continue.")]
    Unauthenticated,
    /// Signed in, but this action is not allowed for this user.
    #[error("You do not have permission to do that.")]
    Forbidden,
    /// The thing does not exist, or is not visible to this user (the two are not told apart).
    #[error("{0} was not found.")]
    NotFound(String),
    /// Sign-in failed. Deliberately the same for an unknown e-mail, a wrong password and a
    /// disabled account (SEC-2.4).
    #[error("The e-mail address or password is incorrect.")]
    InvalidCredentials,
    /// The request conflicts with the current state (e.g. an invite already used).
    #[error("{0}")]
    Conflict(String),
    /// Something failed on the server; details are in the server log under `reference`.
    #[error(
        "Something went wrong on the server. If it keeps happening, report reference {reference}."
    )]
    Internal { reference: String },
    /// The account has no Luna Node API key stored yet.
    #[error("This account has no Luna Node API key yet. Add one on the API key page.")]
    NoCredential,
    /// Luna Node answered, or failed to, in a way the user should know about.
    #[error("{message}")]
    Upstream {
        problem: UpstreamProblem,
        message: String,
    },
    /// A suspended customer tried to change something.
    #[error(
        "Your account is suspended: you can look, but not make changes. Contact your provider."
    )]
    Suspended,
    /// A customer's quota would be exceeded; says which limit.
    #[error("{0}")]
    Quota(String),
    /// Too many attempts (sign-in, codes, sign-up) or calls: the caller must wait
    /// `retry_after` seconds (429 with `Retry-After`). The message never says which of
    /// e-mail, password or code was wrong.
    #[error("{message}")]
    TooMany { message: String, retry_after: u64 },
    /// The panel is at capacity for this work (the password-hashing queue is full): 503 with
    /// `Retry-After`, instead of an unbounded wait.
    #[error("The panel is busy right now. Try again in {retry_after} seconds.")]
    Busy { retry_after: u64 },
    /// The account's (or the customer's) budget of calls to Luna Node is spent for now
    /// (`crate::server::budget`): nothing was sent. `retry_after` is in whole seconds; the
    /// HTTP answer is 429 with a `Retry-After` header saying the same.
    #[error(
        "Too many requests to the cloud from your account; slow down and try again in \
         {retry_after} s."
    )]
    Throttled { retry_after: u64 },
    /// The administrator requires a second factor for this user's role and they have none
    /// yet: only setting one up is allowed until they do.
    #[error(
        "This panel requires a second sign-in factor for your role. Set up an authenticator \
         app on the Sign-in security page first."
    )]
    SecondFactorRequired,
    /// The browser could not complete the call (network down, panel restarting, bad response).
    #[error("The panel could not be reached ({0}). Check your connection and try again.")]
    Transport(String),
}

/// What went wrong with Luna Node, for the banner and the status code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum UpstreamProblem {
    /// Luna Node refused the request itself (bad value, quota, state); the message says why.
    Rejected,
    /// Luna Node refused the stored API ID/key.
    KeyRefused,
    /// Luna Node could not be reached or answered with a server error.
    Unavailable,
    /// Luna Node did not answer in time.
    Timeout,
    /// A change was sent but its answer never came: it may or may not have been made.
    OutcomeUnknown,
}

impl UpstreamProblem {
    /// Whether the banner should say Luna Node itself is in trouble.
    pub fn is_outage(self) -> bool {
        matches!(
            self,
            UpstreamProblem::Unavailable | UpstreamProblem::Timeout
        )
    }
}

/// Luna Node's refusal of a change, in words that say what to do, when its text says it is
/// about one of `about` (its words are not documented: UNKNOWN); other errors as they are.
pub fn refusal(e: AppError, about: &[&str], say: &str) -> AppError {
    match &e {
        AppError::Upstream {
            problem: UpstreamProblem::Rejected,
            message,
        } => {
            let lower = message.to_ascii_lowercase();
            if about.iter().any(|w| lower.contains(w)) {
                AppError::Conflict(say.to_owned())
            } else {
                e
            }
        }
        _ => e,
    }
}

impl AppError {
    /// The message for one form field, when this is a validation error naming it.
    pub fn field(&self, field: &str) -> Option<String> {
        match self {
            AppError::Validation(errors) => errors.get(field).map(str::to_owned),
            _ => None,
        }
    }

    /// HTTP status used when the error is sent as a server-function response.
    pub fn status_code(&self) -> u16 {
        match self {
            AppError::Validation(_) => 422,
            AppError::Unauthenticated | AppError::InvalidCredentials => 401,
            AppError::Forbidden | AppError::Suspended | AppError::SecondFactorRequired => 403,
            AppError::Quota(_) => 409,
            AppError::NotFound(_) => 404,
            AppError::Conflict(_) | AppError::NoCredential => 409,
            AppError::Upstream { problem, .. } => match problem {
                UpstreamProblem::Rejected => 422,
                UpstreamProblem::KeyRefused => 502,
                UpstreamProblem::Unavailable => 503,
                UpstreamProblem::Timeout => 504,
                UpstreamProblem::OutcomeUnknown => 502,
            },
            AppError::TooMany { .. } => 429,
            AppError::Busy { .. } => 503,
            AppError::Throttled { .. } => 429,
            AppError::Internal { .. } | AppError::Transport(_) => 500,
        }
    }

    /// Seconds to wait before trying again (the `Retry-After` header), when the answer is
    /// "not now" rather than "no".
    pub fn retry_after(&self) -> Option<u64> {
        match self {
            AppError::TooMany { retry_after, .. }
            | AppError::Busy { retry_after }
            | AppError::Throttled { retry_after } => Some(*retry_after),
            _ => None,
        }
    }

    /// "Too many sign-in attempts…" for a throttled sign-in, code or sign-up.
    pub fn too_many_attempts(retry_after: u64) -> Self {
        AppError::TooMany {
            message: format!(
                "Too many attempts. Wait {} before trying again.",
                crate::error::wait_words(retry_after)
            ),
            retry_after,
        }
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            // Argument decoding failed on the server: the request was malformed.
            ServerFnErrorErr::Args(msg) | ServerFnErrorErr::Deserialization(msg) => {
                AppError::Validation(FieldErrors(vec![FieldError {
                    field: String::new(),
                    message: format!("The request could not be read: {msg}"),
                }]))
            }
            other => AppError::Transport(other.to_string()),
        }
    }
}

/// "1 second", "40 seconds", "3 minutes" (rounded up): how long to wait.
pub fn wait_words(secs: u64) -> String {
    match secs {
        0 | 1 => "1 second".to_owned(),
        2..=90 => format!("{secs} seconds"),
        _ => format!("{} minutes", secs.div_ceil(60)),
    }
}

/// What sign-up answers for an address it will not take (the same for one that is taken:
/// the answer must not tell who has an account).
pub const EMAIL_TAKEN: &str = "This e-mail address cannot be used for a new account. If it is \
                         yours, sign in with it; otherwise use another address.";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_errors_collect_and_lookup() {
        let mut errors = FieldErrors::new();
        assert!(errors.clone().into_result().is_ok());
        errors.add("email", "Enter an e-mail address.");
        errors.add("password", "Too short.");
        let err = errors.into_result().unwrap_err();
        assert_eq!(
            err.field("email").as_deref(),
            Some("Enter an e-mail address.")
        );
        assert_eq!(err.field("password").as_deref(), Some("Too short."));
        assert_eq!(err.field("other"), None);
        assert_eq!(err.status_code(), 422);
    }

    #[test]
    fn errors_round_trip_through_json() {
        let err = AppError::Internal {
            reference: "abc123".into(),
        };
        let json = serde_json::to_string(&err).unwrap();
        let back: AppError = serde_json::from_str(&json).unwrap();
        assert_eq!(back, err);
        assert!(back.to_string().contains("abc123"));
    }

    #[test]
    fn waiting_is_said_in_words_and_carried_as_retry_after() {
        assert_eq!(wait_words(1), "1 second");
        assert_eq!(wait_words(45), "45 seconds");
        assert_eq!(wait_words(121), "3 minutes");
        let e = AppError::too_many_attempts(8);
        assert_eq!(e.status_code(), 429);
        assert_eq!(e.retry_after(), Some(8));
        assert!(e.to_string().contains("8 seconds"), "{e}");
        assert_eq!(AppError::Busy { retry_after: 2 }.status_code(), 503);
        assert_eq!(AppError::Forbidden.retry_after(), None);
    }

    #[test]
    fn a_spent_budget_says_when_to_try_again() {
        let err = AppError::Throttled { retry_after: 7 };
        assert_eq!(
            err.to_string(),
            "Too many requests to the cloud from your account; slow down and try again in 7 s."
        );
        assert_eq!(err.status_code(), 429);
        assert_eq!(err.retry_after(), Some(7));
        assert_eq!(AppError::Forbidden.retry_after(), None);
        let json = serde_json::to_string(&err).unwrap();
        assert_eq!(serde_json::from_str::<AppError>(&json).unwrap(), err);
    }

    #[test]
    fn sign_in_failures_share_one_message() {
        assert_eq!(
            AppError::InvalidCredentials.to_string(),
            "The e-mail address or password is incorrect."
        );
    }
}
