//! Page filters, sorting and paging live in the URL's query string: a filtered view can be
//! linked, the server renders it, and the live bridge re-renders it by fetching the same URL.

use leptos::prelude::*;
use leptos_router::hooks::{use_location, use_query_map};
use leptos_router::params::ParamsMap;
use uuid::Uuid;

/// The query string of the page being rendered.
#[derive(Debug, Clone)]
pub struct PageQuery {
    path: String,
    params: ParamsMap,
}

impl PageQuery {
    /// The current request's path and query parameters.
    pub fn current() -> Self {
        Self {
            path: use_location().pathname.get_untracked(),
            params: use_query_map().get_untracked(),
        }
    }

    /// The non-empty value of `key`.
    pub fn value(&self, key: &str) -> Option<String> {
        self.params
            .get(key)
            .filter(|value| !value.trim().is_empty())
    }

    /// `key` as an id, when it is one.
    pub fn uuid(&self, key: &str) -> Option<Uuid> {
        self.value(key).and_then(|value| value.parse().ok())
    }

    /// This page with `changes` applied (`None` removes a parameter), the others kept.
    pub fn href_with(&self, changes: &[(&str, Option<String>)]) -> String {
        let mut params = self.params.clone();
        for (key, value) in changes {
            params.remove(key);
            if let Some(value) = value.clone().filter(|value| !value.is_empty()) {
                params.insert(key.to_string(), value);
            }
        }
        format!("{}{}", self.path, params.to_query_string())
    }
}

/// A filter `<select>` (its `id` doubles as its test id). Choosing an option sets `?param=`
/// and removes the `resets` parameters (the live bridge does it, see `crate::live`).
#[component]
pub fn QuerySelect(
    /// Element id and test id.
    id: &'static str,
    /// The visible label.
    label: &'static str,
    /// The query parameter the select sets.
    param: &'static str,
    /// Parameters the choice invalidates, space separated.
    #[prop(optional)]
    resets: &'static str,
    /// Label of a first, empty choice that removes the parameter; none when `None`.
    #[prop(optional)]
    any: Option<&'static str>,
    /// `(value, label)` of each choice.
    options: Vec<(String, String)>,
    /// The value currently chosen.
    selected: Option<String>,
) -> impl IntoView {
    let empty_choice =
        any.map(|text| view! { <option value="" selected=selected.is_none()>{text}</option> });
    let choices = options
        .into_iter()
        .map(|(value, text)| {
            let chosen = selected.as_deref() == Some(value.as_str());
            view! { <option value=value selected=chosen>{text}</option> }
        })
        .collect_view();
    view! {
        <div class="field">
            <label for=id>{label}</label>
            <select id=id data-testid=id data-query-param=param data-query-resets=resets>
                {empty_choice}
                {choices}
            </select>
        </div>
    }
}

/// A pager link, or its disabled look when there is no such page.
#[component]
pub fn PageLink(href: Option<String>, label: &'static str, testid: &'static str) -> impl IntoView {
    match href {
        Some(href) => {
            view! { <a class="button" href=href data-live-link data-testid=testid>{label}</a> }
                .into_any()
        }
        None => {
            view! { <span class="button" aria-disabled="true" data-testid=testid>{label}</span> }
                .into_any()
        }
    }
}
