//! [`ActionButton`]: a button that runs one server call, shows that it is under way, reports
//! the result in the console's toast region ([`ToastRegion`], announced to screen readers),
//! says why it is disabled when it is, and tells the page when it is done (so lists refresh).

use std::future::Future;

use leptos::prelude::*;

use crate::error::AppError;

/// One message in the toast region.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Toast {
    pub id: u64,
    pub text: String,
    pub error: bool,
}

/// At most this many toasts are shown; older ones make way.
const MAX_TOASTS: usize = 4;
/// Successes go after this long; errors stay until dismissed (so none is missed).
#[cfg(feature = "hydrate")]
const SUCCESS_MS: u64 = 8000;

/// The console's toast messages (provided by the console frame; see [`ToastRegion`]).
#[derive(Debug, Clone, Copy)]
pub struct Toasts {
    list: RwSignal<Vec<Toast>>,
    next: StoredValue<u64>,
}

impl Toasts {
    /// Creates the region's state and provides it to everything below.
    pub fn provide() -> Self {
        let toasts = Self {
            list: RwSignal::new(Vec::new()),
            next: StoredValue::new(0),
        };
        provide_context(toasts);
        toasts
    }

    /// The console's toasts, if there is a console around.
    pub fn get() -> Option<Self> {
        use_context::<Self>()
    }

    /// Shows a success (removed by itself after a few seconds).
    pub fn success(&self, text: impl Into<String>) {
        let id = self.push(text.into(), false);
        #[cfg(feature = "hydrate")]
        {
            let this = *self;
            set_timeout(
                move || this.dismiss(id),
                std::time::Duration::from_millis(SUCCESS_MS),
            );
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = id;
    }

    /// Shows an error (stays until dismissed).
    pub fn error(&self, text: impl Into<String>) {
        self.push(text.into(), true);
    }

    pub fn dismiss(&self, id: u64) {
        self.list.try_update(|l| l.retain(|t| t.id != id));
    }

    fn push(&self, text: String, error: bool) -> u64 {
        let id = self.next.get_value();
        self.next.set_value(id + 1);
        self.list.update(|l| {
            l.push(Toast { id, text, error });
            let extra = l.len().saturating_sub(MAX_TOASTS);
            l.drain(..extra);
        });
        id
    }
}

/// Where toasts appear: successes in a polite live region, errors in an alert region, each
/// with a dismiss button. Rendered once by the console frame (empty on the server).
#[component]
pub fn ToastRegion() -> impl IntoView {
    let Some(toasts) = Toasts::get() else {
        return ().into_any();
    };
    let list = move |error: bool| {
        move || {
            toasts
                .list
                .get()
                .into_iter()
                .filter(|t| t.error == error)
                .map(|t| {
                    let id = t.id;
                    view! {
                        <div class="toast" class:toast-error=error class:toast-success=!error>
                            <span>{t.text}</span>
                            <button
                                type="button"
                                class="toast-dismiss"
                                aria-label="Dismiss"
                                on:click=move |_| toasts.dismiss(id)
                            >
                                "×"
                            </button>
                        </div>
                    }
                })
                .collect_view()
        }
    };
    view! {
        <div class="toasts">
            <div role="status" aria-live="polite">{list(false)}</div>
            <div role="alert" aria-live="assertive">{list(true)}</div>
        </div>
    }
    .into_any()
}

/// A button that runs `run` (a server call) when pressed.
///
/// - While it runs: disabled, `aria-busy`, a spinner and `pending_label`.
/// - When it ends: `success` (or the error's text) as a toast, then `on_done` (success or
///   not, so a list shows what really happened) and `on_success` with the value.
/// - While `reason` is set: disabled, with the reason as its `title` and described by
///   `{id}-reason` (shown beside it, or only to screen readers with `quiet_reason`).
#[component]
pub fn ActionButton<F, Fut, T>(
    /// The button's id (also the prefix of its reason's id).
    #[prop(into)]
    id: String,
    #[prop(into)] label: String,
    #[prop(into, default = "Working…".into())] pending_label: String,
    /// Starts the call (e.g. `move || sshkey_remove(id.clone())`).
    run: F,
    /// The toast on success ("Key “laptop” removed.").
    #[prop(into)]
    success: String,
    /// Why the button cannot be used now; disabled while set.
    #[prop(optional, into)]
    reason: MaybeProp<String>,
    /// Keeps the reason out of sight (title and screen readers only), e.g. in table rows
    /// whose page explains it once above the table.
    #[prop(optional)]
    quiet_reason: bool,
    /// Called after every completion.
    #[prop(optional)]
    on_done: Option<Callback<()>>,
    /// Called with the value after a success.
    #[prop(optional)]
    on_success: Option<Callback<T>>,
    #[prop(default = "button")] class: &'static str,
) -> impl IntoView
where
    F: Fn() -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<T, AppError>> + Send + 'static,
    T: Clone + Send + Sync + 'static,
{
    let action = Action::new(move |_: &()| run());
    let pending = action.pending();
    let toasts = Toasts::get();
    // Without a console (no toast region), the result is shown beside the button.
    let inline = RwSignal::new(None::<(bool, String)>);
    Effect::new(move |seen: Option<usize>| {
        let version = action.version().get();
        if seen.is_some_and(|s| s != version) {
            let outcome = action.value().with_untracked(|v| {
                v.as_ref().map(|r| match r {
                    Ok(value) => Ok(value.clone()),
                    Err(e) => Err(e.to_string()),
                })
            });
            match outcome {
                Some(Ok(value)) => {
                    match toasts {
                        Some(t) => t.success(success.clone()),
                        None => inline.set(Some((false, success.clone()))),
                    }
                    if let Some(cb) = on_success {
                        cb.run(value);
                    }
                }
                Some(Err(message)) => match toasts {
                    Some(t) => t.error(message),
                    None => inline.set(Some((true, message))),
                },
                None => {}
            }
            if let Some(cb) = on_done {
                cb.run(());
            }
        }
        version
    });
    let reason_id = format!("{id}-reason");
    let blocked = move || reason.with(Option::is_some);
    let described = {
        let reason_id = reason_id.clone();
        move || blocked().then(|| reason_id.clone())
    };
    view! {
        <span class="action-button">
            <button
                type="button"
                id=id
                class=class
                disabled=move || pending.get() || blocked()
                aria-busy=move || pending.get().to_string()
                aria-describedby=described
                title=move || reason.get()
                on:click=move |_| {
                    if !pending.get_untracked() && !blocked() {
                        action.dispatch(());
                    }
                }
            >
                {move || {
                    if pending.get() {
                        view! {
                            <span class="spinner" aria-hidden="true"></span>
                            {pending_label.clone()}
                        }
                        .into_any()
                    } else {
                        label.clone().into_any()
                    }
                }}
            </button>
            <span
                class="disabled-reason"
                class:visually-hidden=quiet_reason
                id=reason_id
                hidden=move || !blocked()
            >
                {move || reason.get()}
            </span>
            {move || {
                inline
                    .get()
                    .map(|(error, text)| {
                        view! {
                            <span class="toast-inline" class:toast-error=error role="status">
                                {text}
                            </span>
                        }
                    })
            }}
        </span>
    }
}

/// A choice and the action it starts (attach this volume to that VM, that volume to this
/// VM): a labelled select `{id}-choice` of `choices` (value, label) and an
/// [`ActionButton`] `{id}` that runs `run` with the chosen value; `error` shows below as
/// `{id}-error`. The first choice is taken until another is picked, and again when the
/// picked one goes away; with no choices the button is disabled and `none` says why.
#[component]
pub fn ChoiceAction<F, Fut, T>(
    /// The button's id, and the prefix of the select's and the error's.
    #[prop(into)]
    id: String,
    /// The select's label ("VM", "Attach a volume").
    #[prop(into)]
    label: String,
    /// `(value, label)` of each choice, in order.
    #[prop(into)]
    choices: Signal<Vec<(String, String)>>,
    /// Why there is nothing to choose ("You have no VM in toronto").
    #[prop(into)]
    none: Signal<String>,
    #[prop(into)] button: String,
    #[prop(into, default = "Working…".into())] pending_label: String,
    #[prop(into)] success: String,
    /// Another reason it cannot be done now (no permission, not ready).
    #[prop(optional, into)]
    reason: MaybeProp<String>,
    /// Starts the call with the chosen value.
    run: F,
    #[prop(optional)] on_done: Option<Callback<()>>,
    /// The field error of the last try.
    #[prop(optional, into)]
    error: MaybeProp<String>,
    /// Shown after the button (e.g. a link to make a new choice possible).
    #[prop(optional)]
    children: Option<Children>,
) -> impl IntoView
where
    F: Fn(String) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<T, AppError>> + Send + 'static,
    T: Clone + Send + Sync + 'static,
{
    let chosen = RwSignal::new(String::new());
    let pick = Signal::derive(move || {
        choices.with(|c| {
            let want = chosen.get();
            if c.iter().any(|(v, _)| *v == want) {
                want
            } else {
                c.first().map(|(v, _)| v.clone()).unwrap_or_default()
            }
        })
    });
    let blocked = Signal::derive(move || {
        reason
            .get()
            .or_else(|| choices.with(Vec::is_empty).then(|| none.get()))
    });
    let (choice_id, error_id) = (format!("{id}-choice"), format!("{id}-error"));
    view! {
        <div class="inline-form">
            <label class="inline-field">
                <span>{label}</span>
                <select
                    id=choice_id
                    aria-describedby=error_id.clone()
                    prop:value=move || pick.get()
                    on:change=move |ev| chosen.set(event_target_value(&ev))
                >
                    {move || {
                        choices
                            .get()
                            .into_iter()
                            .map(|(value, text)| view! { <option value=value>{text}</option> })
                            .collect_view()
                    }}
                </select>
            </label>
            <ActionButton
                id=id
                label=button
                pending_label
                run=move || run(pick.get_untracked())
                success
                reason=blocked
                on_done=on_done.unwrap_or_else(|| Callback::new(|_| ()))
            />
            {children.map(|c| c())}
        </div>
        <p class="field-error" id=error_id aria-live="polite">{move || error.get()}</p>
    }
}

/// A typed value and the action it starts (rename to this name, snapshot under this
/// name): a labelled input `input_id` bound to `value`, an [`ActionButton`] `{id}`
/// that runs `run` with the text, and the error of the last try for `field` beside it as
/// `{id}-error` (kept in `error`, which `run` fills with
/// [`crate::components::detail::keep_error`]).
#[component]
pub fn InputAction<F, Fut, T>(
    /// The button's id, and the prefix of the error's.
    #[prop(into)]
    id: String,
    /// The input's id (journeys fill it).
    #[prop(into)]
    input_id: String,
    #[prop(into)] label: String,
    value: RwSignal<String>,
    /// The server's field name whose error is shown beside the input.
    field: &'static str,
    error: RwSignal<Option<AppError>>,
    #[prop(into)] button: String,
    #[prop(into, default = "Working…".into())] pending_label: String,
    #[prop(into)] success: String,
    #[prop(optional, into)] reason: MaybeProp<String>,
    /// Starts the call with the text typed.
    run: F,
    #[prop(optional)] on_done: Option<Callback<()>>,
) -> impl IntoView
where
    F: Fn(String) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<T, AppError>> + Send + 'static,
    T: Clone + Send + Sync + 'static,
{
    let error_id = format!("{id}-error");
    let message = move || error.get().and_then(|e| e.field(field));
    view! {
        <div class="inline-form">
            <label class="inline-field">
                <span>{label}</span>
                <input
                    id=input_id
                    name=field
                    autocomplete="off"
                    aria-describedby=error_id.clone()
                    aria-invalid=move || message().is_some().to_string()
                    prop:value=move || value.get()
                    on:input=move |ev| value.set(event_target_value(&ev))
                />
            </label>
            <ActionButton
                id=id
                label=button
                pending_label
                run=move || run(value.get_untracked())
                success
                reason
                on_done=on_done.unwrap_or_else(|| Callback::new(|_| ()))
            />
        </div>
        <p class="field-error" id=error_id aria-live="polite">{message}</p>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn toasts_keep_the_newest_and_dismiss_by_id() {
        let owner = Owner::new();
        owner.set();
        let toasts = Toasts {
            list: RwSignal::new(Vec::new()),
            next: StoredValue::new(0),
        };
        for i in 0..6 {
            toasts.error(format!("e{i}"));
        }
        let texts = || -> Vec<String> {
            toasts
                .list
                .get_untracked()
                .into_iter()
                .map(|t| t.text)
                .collect()
        };
        assert_eq!(texts(), ["e2", "e3", "e4", "e5"]);
        toasts.dismiss(3);
        assert_eq!(texts(), ["e2", "e4", "e5"]);
        toasts.success("ok");
        assert!(toasts
            .list
            .get_untracked()
            .iter()
            .any(|t| !t.error && t.text == "ok"));
    }
}
