//! The client's one error type. `Display` never includes a credential, a request body or a
//! signature; upstream texts are carried as they came (after HTML unescaping).

use super::sign::CredentialError;

/// The exact upstream text for bad credentials (reference §2.2, CONFIRMED).
pub const AUTH_FAILURE: &str = "authentication failure; common reasons: bad nonce (computer time off), source IP mismatch, invalid API id/key";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UpstreamError {
    /// The stored credential has the wrong shape; nothing was sent.
    #[error("the API credential is not valid: {0}")]
    Credential(#[from] CredentialError),
    /// Luna Node refused the credential (or the nonce, or the source IP).
    #[error("Luna Node refused the API credential")]
    Auth,
    /// The named thing does not exist upstream (`invalid vm`, `invalid image`, …).
    #[error("{0}")]
    NotFound(String),
    /// Luna Node rejected the request (`success: "no"`) with this message.
    #[error("{0}")]
    Rejected(String),
    /// No answer within the deadline.
    #[error("Luna Node did not answer in time")]
    Timeout,
    /// A mutation was sent (or may have been) but no answer came: the connection broke or
    /// the deadline passed after connecting. Luna Node may or may not have done it; never
    /// retried, and never to be reported as "failed, try again" (a duplicate `vm/create`).
    #[error("Luna Node may or may not have done this: the connection ended before its answer")]
    OutcomeUnknown,
    /// Could not connect, was redirected, or got a server error.
    #[error("Luna Node is unavailable: {0}")]
    Unavailable(String),
    /// The answer could not be understood.
    #[error("Luna Node sent a response that could not be read: {0}")]
    Malformed(String),
}

/// Upstream objects whose `invalid <thing>` error means "not found".
const NOT_FOUND_THINGS: &[&str] = &[
    "vm",
    "image",
    "volume",
    "snapshot",
    "network",
    "net_id",
    "lb",
    "lb_id",
    "load balancer",
    "member",
    "ip",
    "floating ip",
    "security group",
    "group",
    "group_id",
    "rule",
    "script",
    "key",
    "key_id",
    "ssh key",
    "zone",
    "zone_id",
    "record",
    "record_id",
    "dyn",
    "dyn_id",
    "check",
    "check_id",
    "contact",
    "contact_id",
    "alert",
    "alert_id",
    "domain",
    "domain_id",
    "user",
    "user_id",
    "alias",
    "alias_id",
];

/// Minimal HTML entity decoding for error texts (RUBY unescapes them; reference §2.2).
pub fn unescape_html(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#039;", "'")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

impl UpstreamError {
    /// Classifies a `success: "no"` body's `error` text.
    pub fn from_api_text(text: &str) -> Self {
        let text = unescape_html(text.trim());
        if text.starts_with("authentication failure") {
            return UpstreamError::Auth;
        }
        let lower = text.to_ascii_lowercase();
        if let Some(thing) = lower.strip_prefix("invalid ") {
            if NOT_FOUND_THINGS.contains(&thing) {
                return UpstreamError::NotFound(text);
            }
        }
        if text.is_empty() {
            return UpstreamError::Rejected("Unknown API error".into());
        }
        UpstreamError::Rejected(text)
    }

    /// Whether the host seems in trouble (the circuit breaker counts these), and so whether
    /// a read action may be tried again after this error. ([`UpstreamError::OutcomeUnknown`]
    /// only ever comes from a mutation, which is never retried.)
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            UpstreamError::Timeout | UpstreamError::Unavailable(_) | UpstreamError::OutcomeUnknown
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_upstream_texts() {
        assert_eq!(
            UpstreamError::from_api_text(AUTH_FAILURE),
            UpstreamError::Auth
        );
        assert_eq!(
            UpstreamError::from_api_text("invalid vm"),
            UpstreamError::NotFound("invalid vm".into())
        );
        assert_eq!(
            UpstreamError::from_api_text("invalid plan selection"),
            UpstreamError::Rejected("invalid plan selection".into())
        );
        assert_eq!(
            UpstreamError::from_api_text("the VM must be stopped &amp; ready"),
            UpstreamError::Rejected("the VM must be stopped & ready".into())
        );
        assert_eq!(
            UpstreamError::from_api_text(""),
            UpstreamError::Rejected("Unknown API error".into())
        );
    }
}
