//! Accessible form pieces: labelled fields whose error is tied to the input
//! (`aria-invalid`, `aria-describedby`) and announced, and a form-level alert.

use leptos::prelude::*;

use crate::components::shell::ErrorNotice;
use crate::error::AppError;

/// The latest result of a server action, as a signal of its error (if it failed).
pub fn action_error<S, T>(value: S) -> Signal<Option<AppError>>
where
    S: Get<Value = Option<Result<T, AppError>>> + Copy + Send + Sync + 'static,
    T: 'static,
{
    Signal::derive(move || value.get().and_then(Result::err))
}

/// The message for `field` within `error`, if the error is a validation error naming it.
pub fn field_error(error: Signal<Option<AppError>>, field: &'static str) -> Signal<Option<String>> {
    Signal::derive(move || error.with(|e| e.as_ref().and_then(|e| e.field(field))))
}

/// The `aria-describedby` value of an input: its hint, and its error while there is one.
fn described_by(
    has_hint: bool,
    hint_id: &str,
    error_id: &str,
    error: Signal<Option<String>>,
) -> impl Fn() -> Option<String> + Send + Sync + 'static {
    let (hint_id, error_id) = (hint_id.to_owned(), error_id.to_owned());
    move || {
        let mut ids = Vec::new();
        if has_hint {
            ids.push(hint_id.clone());
        }
        if error.with(Option::is_some) {
            ids.push(error_id.clone());
        }
        (!ids.is_empty()).then(|| ids.join(" "))
    }
}

/// A labelled input. Its error (from the server, or a live client-side hint) sits right
/// below it and is announced to screen readers. With `revealable`, a show/hide toggle sits
/// beside it (for passwords; works once the page has hydrated).
#[component]
pub fn Field(
    /// The input's `name` (also the server function's argument name).
    name: &'static str,
    label: &'static str,
    #[prop(default = "text")] input_type: &'static str,
    #[prop(optional, into)] autocomplete: Option<&'static str>,
    #[prop(optional, into)] hint: Option<&'static str>,
    #[prop(default = true)] required: bool,
    #[prop(optional, into)] value: Option<String>,
    #[prop(into)] error: Signal<Option<String>>,
    /// Called with the input's value on every keystroke (live hints).
    #[prop(optional, into)]
    on_input: Option<Callback<String>>,
    #[prop(optional)] revealable: bool,
) -> impl IntoView {
    let shown = RwSignal::new(false);
    let id = format!("field-{name}");
    let error_id = format!("{id}-error");
    let hint_id = format!("{id}-hint");
    let described_by = described_by(hint.is_some(), &hint_id, &error_id, error);
    let input = view! {
        <input
            id=id.clone()
            name=name
            type=move || if shown.get() { "text" } else { input_type }
            autocomplete=autocomplete
            required=required
            value=value
            aria-invalid=move || if error.with(Option::is_some) { "true" } else { "false" }
            aria-describedby=described_by
            on:input=move |ev| {
                if let Some(cb) = on_input {
                    cb.run(event_target_value(&ev));
                }
            }
        />
    };
    let control = if revealable {
        view! {
            <div class="password-input">
                {input}
                <button
                    type="button"
                    class="toggle-visibility"
                    aria-controls=id.clone()
                    aria-pressed=move || if shown.get() { "true" } else { "false" }
                    on:click=move |_| shown.update(|s| *s = !*s)
                >
                    {move || if shown.get() { "Hide" } else { "Show" }}
                </button>
            </div>
        }
        .into_any()
    } else {
        input.into_any()
    };
    view! {
        <div class="field" class:field-invalid=move || error.with(Option::is_some)>
            <label for=id.clone()>{label}</label>
            {hint.map(|h| view! { <p class="field-hint" id=hint_id.clone()>{h}</p> })}
            {control}
            <p class="field-error" id=error_id aria-live="polite">
                {move || error.get()}
            </p>
        </div>
    }
}

/// A form-level alert for errors that belong to no single field.
#[component]
pub fn FormAlert(
    #[prop(into)] error: Signal<Option<AppError>>,
    /// Fields shown in this form: validation errors naming them are shown beside them instead.
    fields: &'static [&'static str],
) -> impl IntoView {
    let message = move || {
        error.with(|e| match e {
            Some(AppError::Validation(errors)) => {
                let rest: Vec<&str> = errors
                    .0
                    .iter()
                    .filter(|f| !fields.contains(&f.field.as_str()))
                    .map(|f| f.message.as_str())
                    .collect();
                (!rest.is_empty()).then(|| rest.join(" "))
            }
            Some(other) => Some(other.to_string()),
            None => None,
        })
    };
    view! {
        <div class="form-alert" role="alert" hidden=move || message().is_none()>
            {message}
        </div>
    }
}

/// Shows the error of an action's latest run, if it failed.
#[component]
pub fn ActionError(#[prop(into)] error: Signal<Option<AppError>>) -> impl IntoView {
    move || {
        error
            .get()
            .map(|e| view! { <ErrorNotice message=e.to_string() /> })
    }
}

/// A submit button that shows progress while `pending`.
#[component]
pub fn SubmitButton(
    label: &'static str,
    busy_label: &'static str,
    #[prop(into)] pending: Signal<bool>,
) -> impl IntoView {
    view! {
        <button type="submit" class="button primary" disabled=move || pending.get() aria-busy=move || pending.get().to_string()>
            {move || if pending.get() { busy_label } else { label }}
        </button>
    }
}

/// The value of each named field of a submitted form (`""` for a field it does not have).
pub type FieldValues<'a> = dyn Fn(&str) -> String + 'a;

/// A `<form>` that posts to `action`'s server function: Leptos's `ActionForm` with the same
/// markup (`action` the function's URL, `method="post"`, so it works before the page hydrates
/// and without JavaScript), but whose arguments `read` builds from the submitted fields by
/// name, where `ActionForm` deserializes the form with serde_qs. The sign-in page is in the
/// main module: with this form, serde_qs's deserializer and `ActionForm`'s machinery are no
/// part of a first visit (the main module 17 KB of brotli smaller, issue 14).
#[component]
pub fn FieldsForm<S>(
    action: ServerAction<S>,
    /// The form's `id`.
    id: &'static str,
    /// The server function's arguments from the values of the form's fields.
    read: fn(&FieldValues<'_>) -> S,
    children: Children,
) -> impl IntoView
where
    S: leptos::server_fn::ServerFn + Clone + Send + Sync + 'static,
    S::Output: Send + Sync + 'static,
    S::Error: Send + Sync + 'static,
{
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        if ev.default_prevented() {
            return;
        }
        ev.prevent_default();
        #[cfg(feature = "hydrate")]
        {
            use wasm_bindgen::JsCast;
            let form = ev
                .target()
                .and_then(|t| t.dyn_into::<web_sys::HtmlFormElement>().ok());
            if let Some(data) = form.and_then(|f| web_sys::FormData::new_with_form(&f).ok()) {
                let field = |name: &str| data.get(name).as_string().unwrap_or_default();
                action.dispatch(read(&field));
            }
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = (action, read);
    };
    view! {
        <form action=S::url() method="post" novalidate=true id=id on:submit=on_submit>
            {children()}
        </form>
    }
}
