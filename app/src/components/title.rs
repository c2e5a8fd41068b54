//! The browser tab's title.

use leptos::prelude::*;

/// Sets the document's title to "`text` · lunapanel".
///
/// Each page names itself; no title formatter sits above the pages. On the server this is
/// `leptos_meta`'s `<Title>`, which writes the `<title>` of the document. In the browser it
/// is `browser::BrowserTitle`: `<Title>` first sets the title from its (still empty) list of
/// titles as it hydrates and only then adds its own text, so with the pages in lazy chunks
/// (issue 14) the tab's title went blank while a page's chunk hydrated.
#[component]
pub fn PageTitle(#[prop(into)] text: TextProp) -> impl IntoView {
    #[cfg(not(feature = "hydrate"))]
    {
        view! { <leptos_meta::Title text=move || full(&text) /> }
    }
    #[cfg(feature = "hydrate")]
    {
        browser::BrowserTitle::new(text)
    }
}

fn full(text: &TextProp) -> String {
    format!("{} · lunapanel", text.get())
}

/// The browser's side of [`PageTitle`]: like `<Title>` it puts nothing in the page (so
/// hydration walks past it exactly as past the server's `<Title>`), and it keeps
/// `document.title` equal to its text. Hydrating leaves the server's title alone unless the
/// text differs; a page built by client-side navigation sets its own.
#[cfg(feature = "hydrate")]
mod browser {
    use leptos::attr::{any_attribute::AnyAttribute, Attribute};
    use leptos::prelude::*;
    use leptos::reactive::effect::RenderEffect;
    use leptos::tachys::hydration::Cursor;
    use leptos::tachys::renderer::types::{Element, Node};
    use leptos::tachys::view::{
        add_attr::AddAnyAttr, Mountable, Position, PositionState, Render, RenderHtml,
    };

    pub struct BrowserTitle {
        text: TextProp,
    }

    impl BrowserTitle {
        pub fn new(text: TextProp) -> Self {
            Self { text }
        }

        fn follow(self) -> BrowserTitleState {
            let text = self.text;
            BrowserTitleState {
                _effect: RenderEffect::new(move |_| {
                    let title = super::full(&text);
                    let document = document();
                    if document.title() != title {
                        document.set_title(&title);
                    }
                }),
            }
        }
    }

    pub struct BrowserTitleState {
        _effect: RenderEffect<()>,
    }

    impl Render for BrowserTitle {
        type State = BrowserTitleState;

        fn build(self) -> Self::State {
            self.follow()
        }

        fn rebuild(self, state: &mut Self::State) {
            *state = self.follow();
        }
    }

    impl AddAnyAttr for BrowserTitle {
        type Output<SomeNewAttr: Attribute> = BrowserTitle;

        fn add_any_attr<NewAttr: Attribute>(self, _attr: NewAttr) -> Self::Output<NewAttr>
        where
            Self::Output<NewAttr>: RenderHtml,
        {
            self
        }
    }

    impl RenderHtml for BrowserTitle {
        type AsyncOutput = Self;
        type Owned = Self;

        const MIN_LENGTH: usize = 0;
        const EXISTS: bool = false;

        fn dry_resolve(&mut self) {}

        async fn resolve(self) -> Self::AsyncOutput {
            self
        }

        fn to_html_with_buf(
            self,
            _buf: &mut String,
            _position: &mut Position,
            _escape: bool,
            _mark_branches: bool,
            _extra_attrs: Vec<AnyAttribute>,
        ) {
        }

        fn hydrate<const FROM_SERVER: bool>(
            self,
            _cursor: &Cursor,
            _position: &PositionState,
        ) -> Self::State {
            self.follow()
        }

        fn into_owned(self) -> Self::Owned {
            self
        }
    }

    impl Mountable for BrowserTitleState {
        fn unmount(&mut self) {}

        fn mount(&mut self, _parent: &Element, _marker: Option<&Node>) {}

        fn insert_before_this(&self, _child: &mut dyn Mountable) -> bool {
            false
        }

        fn elements(&self) -> Vec<Element> {
            vec![]
        }
    }
}
