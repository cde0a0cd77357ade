//! The workflow builder's pure parts: the plan a chat builds (`plan`), and — in the modules
//! beside it — the composer that turns English into plans, the node catalogue pinned to the n8n
//! version FlowPulse is tested against, the renderer to n8n JSON and the validator that runs
//! before anything is deployed.

pub mod catalogue;
pub mod compose;
#[cfg(test)]
mod fixtures;
pub mod graph;
pub mod plan;
pub mod render;
pub mod summary;
pub mod validate;
