//! Page filters live in the URL's query string, so a filtered view can be linked and the
//! server renders it the same way the browser does.

use leptos::prelude::*;
use leptos_router::hooks::{use_location, use_navigate, use_query_map};
use leptos_router::NavigateOptions;

/// The non-empty value of query parameter `key`.
pub fn use_query_value(key: &'static str) -> Memo<Option<String>> {
    let query = use_query_map();
    Memo::new(move |_| {
        query
            .with(|query| query.get(key))
            .filter(|value| !value.is_empty())
    })
}

/// A function that sets (or with `None`, removes) query parameters, keeping the others.
pub fn use_set_query() -> impl Fn(&[(&'static str, Option<String>)]) + Clone + 'static {
    let query = use_query_map();
    let location = use_location();
    let navigate = use_navigate();
    move |changes: &[(&'static str, Option<String>)]| {
        let mut params = query.get_untracked();
        for (key, value) in changes {
            params.remove(key);
            if let Some(value) = value.clone().filter(|value| !value.is_empty()) {
                params.insert(*key, value);
            }
        }
        let path = location.pathname.get_untracked();
        navigate(
            &format!("{path}{}", params.to_query_string()),
            NavigateOptions {
                replace: true,
                scroll: false,
                ..Default::default()
            },
        );
    }
}
