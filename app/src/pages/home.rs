//! The landing page: what FlowPulse is and whether its services are up.

use crate::status::check_services;
use leptos::prelude::*;

/// `/`
#[component]
pub fn HomePage() -> impl IntoView {
    let status = Resource::new(|| (), |_| check_services());
    let recheck = move |_| status.refetch();
    view! {
        <section class="hero">
            <h1>"FlowPulse"</h1>
            <p>"Live, trustworthy numbers for your n8n workflows: executions, successes and failures per workflow, synced from every n8n instance you run."</p>
        </section>
        <section class="card" aria-labelledby="status-title">
            <h2 id="status-title">"System status"</h2>
            <Suspense fallback=|| view! { <p class="muted">"Checking services…"</p> }>
                {move || status.get().map(|result| match result {
                    Ok(s) => view! {
                        <ul class="status-list">
                            <li data-testid="status-database" class:ok=s.database class:down=!s.database>
                                "Database API: " {if s.database { "up" } else { "down" }}
                            </li>
                            <li data-testid="status-edge" class:ok=s.edge_function class:down=!s.edge_function>
                                "Sync function: " {if s.edge_function { "up" } else { "down" }}
                            </li>
                        </ul>
                    }.into_any(),
                    Err(e) => view! { <p class="error" role="alert">{format!("Could not check the services: {e}")}</p> }.into_any(),
                })}
            </Suspense>
            <button type="button" data-testid="recheck" on:click=recheck>"Check again"</button>
        </section>
    }
}
