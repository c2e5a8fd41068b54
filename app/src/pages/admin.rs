//! `/admin`: users (disable / enable, reset links, second factors), invite links and the
//! two-step sign-in policy. Admin only (enforced on the server).

use crate::components::title::PageTitle;
use leptos::prelude::*;

use crate::admin::{
    list_invites, list_users, second_factor_policy, CreateInvite, CreateResetLink,
    ResetSecondFactor, RevokeInvite, SetReseller, SetSecondFactorPolicy, SetUserDisabled,
};
use crate::components::form::{action_error, ActionError};
use crate::components::shell::{ErrorNotice, Loading};
use crate::components::table::DataTable;
use crate::types::Role;
use crate::types::{format_unix, InviteSummary, UserSummary};
use crate::PanelContext;

#[component]
pub fn AdminPage() -> impl IntoView {
    view! {
        <PageTitle text="Administration" />
        <h1>"Administration"</h1>
        <UsersCard />
        <InvitesCard />
        <SecondFactorPolicyCard />
    }
}

#[component]
fn UsersCard() -> impl IntoView {
    let ctx = expect_context::<PanelContext>();
    let toggle = ServerAction::<SetUserDisabled>::new();
    let reseller = ServerAction::<SetReseller>::new();
    let help = SignInHelp {
        reset_factor: ServerAction::<ResetSecondFactor>::new(),
        reset_link: ServerAction::<CreateResetLink>::new(),
    };
    let users = Resource::new(
        move || {
            (
                toggle.version().get(),
                reseller.version().get(),
                help.reset_factor.version().get(),
            )
        },
        |_| list_users(),
    );
    view! {
        <section class="card" aria-labelledby="users-heading">
            <h2 id="users-heading">"Users"</h2>
            <ActionError error=action_error(toggle.value()) />
            <ActionError error=action_error(reseller.value()) />
            <ActionError error=action_error(help.reset_factor.value()) />
            {move || {
                help.reset_link.value().get().map(|r| match r {
                    Ok(link) => view! {
                        <div class="notice notice-success" role="status">
                            <label for="reset-link">
                                "Give this password-reset link to its user yourself (it is shown only now, works once, and expires "
                                {format_unix(link.expires_at)} "):"
                            </label>
                            <input id="reset-link" class="copyable" readonly value=link.link />
                        </div>
                    }
                    .into_any(),
                    Err(e) => view! { <ErrorNotice message=e.to_string() /> }.into_any(),
                })
            }}
            <Transition fallback=|| view! { <Loading /> }>
                {move || Suspend::new(async move {
                    let me = ctx.info.await.ok().and_then(|i| i.user).map(|u| u.id);
                    match users.await {
                        Ok(list) => view! { <UsersTable list me toggle reseller help /> }.into_any(),
                        Err(e) => view! { <ErrorNotice message=e.to_string() /> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

/// The administrator's help for users who cannot sign in.
#[derive(Clone, Copy)]
struct SignInHelp {
    reset_factor: ServerAction<ResetSecondFactor>,
    reset_link: ServerAction<CreateResetLink>,
}

#[component]
fn UsersTable(
    list: Vec<UserSummary>,
    me: Option<i64>,
    toggle: ServerAction<SetUserDisabled>,
    reseller: ServerAction<SetReseller>,
    help: SignInHelp,
) -> impl IntoView {
    let rows = list
        .into_iter()
        .map(|u| {
            let is_me = Some(u.id) == me;
            let (label, disable) = if u.disabled { ("Enable", false) } else { ("Disable", true) };
            let action_label = format!("{label} {}", u.email);
            let link_label = format!("Password reset link for {}", u.email);
            let factor_label = format!("Reset the second factor of {}", u.email);
            let email = u.email.clone();
            let reseller_button = matches!(u.role, Role::Owner | Role::Reseller).then(|| {
                let make = u.role == Role::Owner;
                let user_id = u.id;
                view! {
                    <button
                        type="button"
                        class="button small subtle"
                        disabled=move || reseller.pending().get()
                        on:click=move |_| {
                            reseller.dispatch(SetReseller { user_id, reseller: make });
                        }
                    >
                        {if make { "Make reseller" } else { "Make owner" }}
                    </button>
                }
            });
            view! {
                <tr data-user=email>
                    <td>{u.display_name}</td>
                    <td>{u.email}</td>
                    <td>{u.role.label()}</td>
                    <td>
                        {if u.disabled {
                            view! { <span class="badge badge-off">"Disabled"</span> }
                        } else {
                            view! { <span class="badge badge-on">"Active"</span> }
                        }}
                    </td>
                    <td>
                        {if u.second_factor {
                            view! { <span class="badge badge-on">"On"</span> }.into_any()
                        } else {
                            view! { <span class="muted">"Off"</span> }.into_any()
                        }}
                    </td>
                    <td>{format_unix(u.created_at)}</td>
                    <td class="actions">
                        {reseller_button}
                        {(!is_me).then(|| {
                            let user_id = u.id;
                            view! {
                                <button
                                    type="button"
                                    class="button small subtle"
                                    aria-label=link_label
                                    data-action="reset-link"
                                    disabled=move || help.reset_link.pending().get()
                                    on:click=move |_| {
                                        help.reset_link.dispatch(CreateResetLink { user_id });
                                    }
                                >
                                    "Reset link"
                                </button>
                            }
                        })}
                        {(!is_me && u.second_factor).then(|| {
                            let user_id = u.id;
                            view! {
                                <button
                                    type="button"
                                    class="button small subtle"
                                    aria-label=factor_label
                                    data-action="reset-second-factor"
                                    disabled=move || help.reset_factor.pending().get()
                                    on:click=move |_| {
                                        help.reset_factor.dispatch(ResetSecondFactor { user_id });
                                    }
                                >
                                    "Reset second factor"
                                </button>
                            }
                        })}
                        {(!is_me).then(|| view! {
                            <button
                                type="button"
                                class="button small"
                                aria-label=action_label
                                disabled=move || toggle.pending().get()
                                on:click=move |_| {
                                    toggle.dispatch(SetUserDisabled { user_id: u.id, disabled: disable });
                                }
                            >
                                {label}
                            </button>
                        })}
                    </td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <DataTable headers=&["Name", "E-mail", "Role", "Status", "Two-step", "Created", ""]>
            {rows}
        </DataTable>
    }
}

/// Whether administrators and resellers must have a second factor.
#[component]
fn SecondFactorPolicyCard() -> impl IntoView {
    let set = ServerAction::<SetSecondFactorPolicy>::new();
    let policy = Resource::new(move || set.version().get(), |_| second_factor_policy());
    view! {
        <section class="card" aria-labelledby="second-factor-policy-heading">
            <h2 id="second-factor-policy-heading">"Two-step sign-in"</h2>
            <p>
                "Administrators and resellers can reach Luna Node API keys. Require them to use                  an authenticator app at sign-in: those without one are sent to set it up before                  they can do anything else."
            </p>
            <ActionError error=action_error(set.value()) />
            <Transition fallback=|| view! { <Loading /> }>
                {move || Suspend::new(async move {
                    match policy.await {
                        Ok(required) => view! {
                            <p id="second-factor-policy">
                                {if required {
                                    "Required for administrators and resellers."
                                } else {
                                    "Not required (each user chooses)."
                                }}
                            </p>
                            <button
                                type="button"
                                class="button"
                                id=if required { "stop-requiring-second-factor" } else { "require-second-factor" }
                                disabled=move || set.pending().get()
                                on:click=move |_| {
                                    set.dispatch(SetSecondFactorPolicy { require: !required });
                                }
                            >
                                {if required { "Stop requiring it" } else { "Require it" }}
                            </button>
                        }
                        .into_any(),
                        Err(e) => view! { <ErrorNotice message=e.to_string() /> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn InvitesCard() -> impl IntoView {
    let create = ServerAction::<CreateInvite>::new();
    let revoke = ServerAction::<RevokeInvite>::new();
    let invites = Resource::new(
        move || (create.version().get(), revoke.version().get()),
        |_| list_invites(),
    );
    view! {
        <section class="card" aria-labelledby="invites-heading">
            <h2 id="invites-heading">"Invites"</h2>
            <p>"An invite link lets one person create an account. It works once and expires after a week."</p>
            <button
                type="button"
                class="button primary"
                id="create-invite"
                disabled=move || create.pending().get()
                on:click=move |_| {
                    create.dispatch(CreateInvite {});
                }
            >
                "Create invite link"
            </button>
            {move || {
                create.value().get().map(|r| match r {
                    Ok(invite) => view! {
                        <div class="notice notice-success" role="status">
                            <label for="invite-link">"Send this link to the person you invite (it is shown only now):"</label>
                            <input id="invite-link" class="copyable" readonly value=invite.link />
                            <p class="field-hint">"Expires " {format_unix(invite.expires_at)}</p>
                        </div>
                    }
                    .into_any(),
                    Err(e) => view! { <ErrorNotice message=e.to_string() /> }.into_any(),
                })
            }}
            <ActionError error=action_error(revoke.value()) />
            <Transition fallback=|| view! { <Loading /> }>
                {move || Suspend::new(async move {
                    match invites.await {
                        Ok(list) if list.is_empty() => view! { <p>"No invites yet."</p> }.into_any(),
                        Ok(list) => view! { <InvitesTable list revoke /> }.into_any(),
                        Err(e) => view! { <ErrorNotice message=e.to_string() /> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

fn invite_status(i: &InviteSummary) -> String {
    match (&i.used_by_email, i.revoked, i.usable) {
        (Some(email), _, _) => format!("Used by {email}"),
        (None, true, _) => "Revoked".into(),
        (None, false, true) => "Open".into(),
        (None, false, false) => "Expired".into(),
    }
}

#[component]
fn InvitesTable(list: Vec<InviteSummary>, revoke: ServerAction<RevokeInvite>) -> impl IntoView {
    let rows = list
        .into_iter()
        .map(|i| {
            let status = invite_status(&i);
            view! {
                <tr>
                    <td>{format!("#{}", i.id)}</td>
                    <td>{format_unix(i.created_at)}</td>
                    <td>{format_unix(i.expires_at)}</td>
                    <td>{status}</td>
                    <td class="actions">
                        {i.usable.then(|| view! {
                            <button
                                type="button"
                                class="button small"
                                aria-label=format!("Revoke invite {}", i.id)
                                disabled=move || revoke.pending().get()
                                on:click=move |_| {
                                    revoke.dispatch(RevokeInvite { invite_id: i.id });
                                }
                            >
                                "Revoke"
                            </button>
                        })}
                    </td>
                </tr>
            }
        })
        .collect_view();
    view! { <DataTable headers=&["Invite", "Created", "Expires", "Status", ""]>{rows}</DataTable> }
}
