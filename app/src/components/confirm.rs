//! [`DangerConfirm`]: the confirmation before something is destroyed. The user types the
//! resource's name; the button enables only when it matches. The typed text is sent with the
//! call and the server checks it again (a validation error on field `confirm` comes back
//! beside the input), so a stale page or a crafted request cannot skip it.

use std::future::Future;

use leptos::prelude::*;

use crate::components::shell::ErrorNotice;
use crate::error::AppError;

/// Whether `typed` confirms `name`: the same text, surrounding spaces aside (the server
/// compares the same way).
pub fn confirms(typed: &str, name: &str) -> bool {
    !name.trim().is_empty() && typed.trim() == name.trim()
}

/// A danger-zone card: what will happen, a field to type `name` into, and the destructive
/// button (enabled once the name matches and no `reason` is set).
///
/// `run` gets the typed text (pass it to the server function's `confirm` argument);
/// `on_success` follows a success (usually navigating back to the list).
#[component]
pub fn DangerConfirm<F, Fut, T>(
    /// The card's heading ("Delete this VM").
    #[prop(into)]
    title: String,
    /// What will happen ("Deleting erases the VM and its disk. This cannot be undone.").
    #[prop(into)]
    warning: String,
    /// What must be typed: the resource's name.
    #[prop(into)]
    name: String,
    /// The field's label; "Type {name} to confirm" when not given.
    #[prop(optional, into)]
    prompt: Option<String>,
    /// The button's text ("Delete VM") and its text while the call runs ("Deleting…").
    #[prop(into)]
    button: String,
    #[prop(into, default = "Deleting…".into())] pending_label: String,
    /// Element ids of the input and the button (journeys use them).
    #[prop(default = "delete-confirm")]
    input_id: &'static str,
    #[prop(default = "delete-submit")] button_id: &'static str,
    run: F,
    #[prop(optional)] on_success: Option<Callback<T>>,
    /// Why it cannot be done now (e.g. a volume still attached); disables the button.
    #[prop(optional, into)]
    reason: MaybeProp<String>,
) -> impl IntoView
where
    F: Fn(String) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<T, AppError>> + Send + 'static,
    T: Clone + Send + Sync + 'static,
{
    let action = Action::new(move |typed: &String| run(typed.clone()));
    let typed = RwSignal::new(String::new());
    Effect::new(move |_| {
        let done = action
            .value()
            .with(|v| v.as_ref().and_then(|r| r.as_ref().ok().cloned()));
        if let (Some(value), Some(cb)) = (done, on_success) {
            cb.run(value);
        }
    });
    let error = move || {
        action
            .value()
            .with(|v| v.as_ref().and_then(|r| r.as_ref().err().cloned()))
    };
    let field_error = move || error().and_then(|e| e.field("confirm"));
    let other_error = move || error().filter(|e| e.field("confirm").is_none());
    let prompt = prompt.unwrap_or_else(|| format!("Type {name} to confirm"));
    let matches = move || confirms(&typed.get(), &name);
    let may_submit = matches.clone();
    let blocked = move || reason.with(Option::is_some);
    let error_id = format!("{input_id}-error");
    let reason_id = format!("{button_id}-reason");
    view! {
        <section class="card danger-zone danger-confirm">
            <h2>{title}</h2>
            <p>{warning}</p>
            <form
                class="inline-form"
                on:submit=move |ev| {
                    ev.prevent_default();
                    if may_submit() && !blocked() && !action.pending().get_untracked() {
                        action.dispatch(typed.get_untracked());
                    }
                }
            >
                <label class="inline-field">
                    <span>{prompt}</span>
                    <input
                        id=input_id
                        name="confirm"
                        autocomplete="off"
                        spellcheck="false"
                        aria-invalid=move || field_error().is_some().to_string()
                        aria-describedby=error_id.clone()
                        prop:value=move || typed.get()
                        on:input=move |ev| typed.set(event_target_value(&ev))
                    />
                </label>
                <button
                    type="submit"
                    class="button danger"
                    id=button_id
                    disabled=move || action.pending().get() || !matches() || blocked()
                    aria-busy=move || action.pending().get().to_string()
                    aria-describedby=move || blocked().then(|| reason_id.clone())
                >
                    {move || {
                        if action.pending().get() {
                            view! {
                                <span class="spinner" aria-hidden="true"></span>
                                {pending_label.clone()}
                            }
                            .into_any()
                        } else {
                            button.clone().into_any()
                        }
                    }}
                </button>
                <p class="disabled-reason" id=format!("{button_id}-reason") hidden=move || !blocked()>
                    {move || reason.get()}
                </p>
                <p class="field-error" id=error_id aria-live="polite">
                    {field_error}
                </p>
                {move || other_error().map(|e| view! { <ErrorNotice message=e.to_string() /> })}
            </form>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_name_confirms() {
        assert!(confirms("web-1", "web-1"));
        assert!(
            confirms("  web-1 ", "web-1"),
            "spaces aside, as the server compares"
        );
        assert!(!confirms("web-", "web-1"));
        assert!(!confirms("WEB-1", "web-1"), "exactly");
        assert!(!confirms("", ""), "an empty name confirms nothing");
    }
}
