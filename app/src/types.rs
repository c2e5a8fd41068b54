//! Types shared by the browser and the server (what server functions send and receive).

use serde::{Deserialize, Serialize};

/// What a user may do in the panel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Operates the panel: manages users and invites. The first account to sign up.
    Admin,
    /// Runs their own Luna Node account.
    Owner,
    /// An owner who also serves customers of their own on top of their account.
    Reseller,
    /// Belongs to one reseller; has no credential and acts through the reseller's, on what
    /// the reseller assigned and allowed.
    Customer,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Owner => "owner",
            Role::Reseller => "reseller",
            Role::Customer => "customer",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Role::Admin => "Administrator",
            Role::Owner => "Account owner",
            Role::Reseller => "Reseller",
            Role::Customer => "Customer",
        }
    }
}

impl std::str::FromStr for Role {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "admin" => Ok(Role::Admin),
            "owner" => Ok(Role::Owner),
            "reseller" => Ok(Role::Reseller),
            "customer" => Ok(Role::Customer),
            other => Err(format!("unknown role {other:?}")),
        }
    }
}

/// The signed-in user as the browser sees them (no hash, no epoch).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionUser {
    pub id: i64,
    pub email: String,
    pub display_name: String,
    pub role: Role,
}

impl SessionUser {
    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }

    pub fn is_reseller(&self) -> bool {
        self.role == Role::Reseller
    }

    pub fn is_customer(&self) -> bool {
        self.role == Role::Customer
    }
}

/// What a right password leads to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum SignInOutcome {
    /// Signed in.
    SignedIn(SessionUser),
    /// The account has a second factor: its code is asked next (`sign_in/code`). Nothing
    /// else can be done until it is given.
    CodeNeeded,
}

/// Who may create an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SignUpPolicy {
    /// Anyone who can reach the panel.
    Open,
    /// Only with an invite link from an admin (the first account never needs one).
    InviteOnly,
}

/// What every page needs to know: who is signed in and how the panel runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PanelInfo {
    pub user: Option<SessionUser>,
    /// Demo mode: an emulated Luna Node with sample data; nothing is real or billed.
    pub demo: bool,
    pub sign_up: SignUpPolicy,
    /// No administrator exists yet: the next sign-up becomes the administrator.
    pub first_user: bool,
    /// Demo mode only: the demo account's sign-in, shown on the sign-in page.
    pub demo_sign_in: Option<DemoSignIn>,
    /// Whether the signed-in user's account has a Luna Node API key stored.
    pub has_credential: bool,
    /// The last trouble with Luna Node for this account, while it lasts (the banner).
    pub upstream: Option<UpstreamHealth>,
    /// For a customer: their reseller's branding (they never see "Luna Node").
    pub branding: Option<crate::tenancy::Branding>,
    /// The reseller really signed in while they view the panel as this customer.
    pub viewing_as_by: Option<SessionUser>,
    /// For a customer: what their reseller lets them do (menus and buttons follow it; the
    /// server decides again on every call). `None` for everyone else.
    #[serde(default)]
    pub customer_access: Option<CustomerAccess>,
    /// The administrator requires a second factor for this user's role and they have none:
    /// the console sends them to the Sign-in security page, and the server refuses
    /// everything else until they set one up.
    #[serde(default)]
    pub must_enrol_second_factor: bool,
}

/// What a customer may do, as the pages need it to explain a disabled button.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerAccess {
    /// Keys of `crate::tenancy::CAPABILITIES` their reseller turned on.
    pub enabled: Vec<String>,
    /// Suspended: they can look, but not change anything.
    pub suspended: bool,
}

/// Trouble talking to Luna Node, as the banner shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpstreamHealth {
    pub problem: crate::error::UpstreamProblem,
    pub message: String,
    /// Unix seconds of the first failure in this run of failures.
    pub since: i64,
}

/// The demo account's e-mail and password (public by design; demo mode only).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DemoSignIn {
    pub email: String,
    pub password: String,
}

/// A user as listed on the admin page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserSummary {
    pub id: i64,
    pub email: String,
    pub display_name: String,
    pub role: Role,
    pub disabled: bool,
    pub created_at: i64,
    /// Whether they have a second factor (TOTP) turned on.
    #[serde(default)]
    pub second_factor: bool,
}

/// An invite as listed on the admin page (the token is shown once, at creation).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InviteSummary {
    pub id: i64,
    pub created_at: i64,
    pub expires_at: i64,
    pub used_by_email: Option<String>,
    pub revoked: bool,
    pub usable: bool,
}

/// A freshly made invite: the link carries the only copy of the token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewInvite {
    pub id: i64,
    pub link: String,
    pub expires_at: i64,
}

/// A freshly made password-reset link: the link carries the only copy of the token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewResetLink {
    pub link: String,
    pub expires_at: i64,
}

/// Formats unix seconds as `YYYY-MM-DD HH:MM UTC` (same text on server and browser).
pub fn format_unix(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02} UTC",
        rem / 3600,
        (rem % 3600) / 60
    )
}

/// Days since 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_round_trip() {
        for role in [Role::Admin, Role::Owner, Role::Reseller, Role::Customer] {
            assert_eq!(role.as_str().parse::<Role>().unwrap(), role);
        }
        assert!("root".parse::<Role>().is_err());
    }

    #[test]
    fn formats_dates() {
        assert_eq!(format_unix(0), "1970-01-01 00:00 UTC");
        assert_eq!(format_unix(951_782_400), "2000-02-29 00:00 UTC");
        assert_eq!(format_unix(1_795_981_500), "2026-11-29 19:45 UTC");
    }
}
