//! What a page says when it cannot show something: an [`AppError`] turned into a notice that
//! says what to do next (add the API key, check it, sign in again, try again), and who is
//! looking ([`Viewer`]) so that a customer is never sent to a page that is not theirs.

use leptos::prelude::*;

use crate::error::{AppError, UpstreamProblem};
use crate::kinds::capabilities;
use crate::types::{CustomerAccess, Role};
use crate::PanelContext;

/// Who is looking at the page, as the console frame loaded it. Pages render only after the
/// frame has `panel_info` (on the server and in the browser alike), so reading it here
/// gives both the same answer and cannot cause a hydration mismatch.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Viewer {
    pub role: Option<Role>,
    /// A customer's enabled capabilities and suspension; `None` for everyone else.
    pub access: Option<CustomerAccess>,
}

impl Viewer {
    /// The signed-in user (an empty viewer outside the console or before sign-in).
    pub fn current() -> Self {
        let info = use_context::<PanelContext>()
            .and_then(|ctx| ctx.info.get_untracked())
            .and_then(Result::ok);
        match info {
            Some(info) => Viewer {
                role: info.user.map(|u| u.role),
                access: info.customer_access,
            },
            None => Viewer::default(),
        }
    }

    pub fn is_customer(&self) -> bool {
        self.role == Some(Role::Customer)
    }

    /// Why this viewer cannot use an action of capability `capability` (a key of
    /// [`capabilities`]), or `None` when they can as far as the page knows. The server
    /// checks again; this only explains a disabled button before it is pressed.
    pub fn cannot(&self, capability: &str) -> Option<String> {
        if !self.is_customer() {
            return None;
        }
        let Some(access) = &self.access else {
            return None;
        };
        if access.suspended {
            return Some("Your account is suspended: you can look, but not make changes.".into());
        }
        if access.enabled.iter().any(|e| e == capability) {
            return None;
        }
        let what = capabilities()
            .find(|c| c.key == capability)
            .map_or(capability, |c| c.label);
        Some(format!(
            "Your provider has not turned on “{what}” for your account."
        ))
    }
}

/// What to tell the user about `error`, and what they can do about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Advice {
    /// `notice-info` for a missing setup step, `notice-error` otherwise.
    pub tone: &'static str,
    pub text: String,
    /// A link to where it can be fixed: (text, href).
    pub link: Option<(&'static str, &'static str)>,
    /// Whether trying again may help (a passing outage).
    pub retry: bool,
}

/// Advice for `error` while working with `what` (plural, lower-case: "VMs", "SSH keys").
/// Customers are never told about the API key or Luna Node; their provider holds both.
pub fn advice(error: &AppError, what: &str, customer: bool) -> Advice {
    let plain = |text: String, retry: bool| Advice {
        tone: "notice-error",
        text,
        link: None,
        retry,
    };
    match error {
        AppError::NoCredential if customer => Advice {
            tone: "notice-info",
            text: format!(
                "Your provider has not connected this panel to the cloud yet, so {what} cannot be shown. Contact your provider."
            ),
            link: None,
            retry: false,
        },
        AppError::NoCredential => Advice {
            tone: "notice-info",
            text: format!("To manage {what}, first "),
            link: Some(("add your Luna Node API key", "/api-key")),
            retry: false,
        },
        AppError::Upstream {
            problem: UpstreamProblem::KeyRefused,
            message,
        } => Advice {
            tone: "notice-error",
            text: format!("{message} "),
            link: (!customer).then_some(("Check the API key", "/api-key")),
            retry: customer,
        },
        AppError::Upstream { problem, message } => {
            plain(message.clone(), problem.is_outage() || *problem == UpstreamProblem::OutcomeUnknown)
        }
        AppError::Unauthenticated => Advice {
            tone: "notice-error",
            text: format!("{error} "),
            link: Some(("Sign in", "/sign-in")),
            retry: false,
        },
        AppError::Transport(_) | AppError::Internal { .. } | AppError::Throttled { .. } => {
            plain(error.to_string(), true)
        }
        other => plain(other.to_string(), false),
    }
}

/// A notice for an error that kept a page (or part of it) from showing: the message and
/// its next step. With `retry`, a "Try again" button is offered where trying again may help.
#[component]
pub fn ProblemNotice(
    error: AppError,
    /// What could not be shown, plural ("VMs"): "To manage VMs, first add your … API key".
    #[prop(default = "this")]
    what: &'static str,
    /// Fetches again (e.g. `move |_| resource.refetch()`).
    #[prop(optional, into)]
    retry: Option<Callback<()>>,
) -> impl IntoView {
    let advice = advice(&error, what, Viewer::current().is_customer());
    let link = advice.link.map(|(text, href)| {
        view! {
            <a href=href>{text}</a>
            {(advice.tone == "notice-info").then_some(".")}
        }
    });
    let retry = retry.filter(|_| advice.retry).map(|retry| {
        view! {
            " "
            <button type="button" class="button small retry" on:click=move |_| retry.run(())>
                "Try again"
            </button>
        }
    });
    view! {
        <div class=format!("notice {}", advice.tone) role="alert">
            {advice.text}
            {link}
            {retry}
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_error_says_what_to_do() {
        let no_key = advice(&AppError::NoCredential, "VMs", false);
        assert_eq!(no_key.text, "To manage VMs, first ");
        assert_eq!(
            no_key.link,
            Some(("add your Luna Node API key", "/api-key"))
        );
        let customer = advice(&AppError::NoCredential, "VMs", true);
        assert!(customer.link.is_none() && !customer.text.contains("Luna Node"));
        let refused = AppError::Upstream {
            problem: UpstreamProblem::KeyRefused,
            message: "The key was refused.".into(),
        };
        assert_eq!(
            advice(&refused, "VMs", false).link.map(|l| l.1),
            Some("/api-key")
        );
        assert_eq!(advice(&refused, "VMs", true).link, None);
        let down = AppError::Upstream {
            problem: UpstreamProblem::Unavailable,
            message: "Down.".into(),
        };
        assert!(advice(&down, "VMs", false).retry);
        let rejected = AppError::Upstream {
            problem: UpstreamProblem::Rejected,
            message: "No.".into(),
        };
        assert!(!advice(&rejected, "VMs", false).retry);
        assert!(advice(&AppError::Transport("x".into()), "VMs", false).retry);
        let slow = advice(&AppError::Throttled { retry_after: 4 }, "VMs", true);
        assert!(
            slow.retry && slow.text.contains("try again in 4 s"),
            "{slow:?}"
        );
        assert_eq!(
            advice(&AppError::Unauthenticated, "VMs", false)
                .link
                .map(|l| l.1),
            Some("/sign-in")
        );
        assert!(!advice(&AppError::Forbidden, "VMs", false).retry);
    }

    #[test]
    fn a_customer_is_told_why_a_button_is_off() {
        let owner = Viewer {
            role: Some(Role::Owner),
            access: None,
        };
        assert_eq!(owner.cannot("sshkeys"), None);
        let mut customer = Viewer {
            role: Some(Role::Customer),
            access: Some(CustomerAccess {
                enabled: vec!["power".into()],
                suspended: false,
            }),
        };
        assert_eq!(customer.cannot("power"), None);
        let off = customer.cannot("sshkeys").unwrap();
        assert!(off.contains("Add and remove SSH keys"), "{off}");
        customer.access.as_mut().unwrap().suspended = true;
        assert!(customer.cannot("power").unwrap().contains("suspended"));
    }
}
