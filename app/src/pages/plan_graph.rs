//! A plan's preview as inline SVG, drawn on the server from `core::builder::graph` (the same
//! layout the deployed workflow gets in n8n): one box per node, arrows between them, an IF's
//! outputs labelled true and false. No script is involved.

use flowpulse_core::builder::graph::{BoxKind, BranchLabel, Graph, GraphBox};
use leptos::prelude::*;

/// Characters of a box's detail line that fit its width; the whole text is in its tooltip.
const DETAIL_CHARS: usize = 26;
/// How far an arrow bends out of its box before turning towards the next one.
const BEND: u32 = 28;

/// The preview; `key` keeps the arrowhead's id unique when a page shows several.
#[component]
pub fn PlanGraph(graph: Graph, #[prop(into)] key: String) -> impl IntoView {
    let marker = format!("arrow-{key}");
    let description = graph
        .boxes
        .iter()
        .map(|b| b.label.as_str())
        .collect::<Vec<_>>()
        .join(" → ");
    let edges = graph
        .edges
        .iter()
        .filter_map(|edge| {
            let (from, to) = (graph.boxes.get(edge.from)?, graph.boxes.get(edge.to)?);
            Some(arrow(from, to, edge.label, &marker))
        })
        .collect_view();
    let boxes = graph.boxes.iter().map(node).collect_view();
    view! {
        <figure class="plan-graph" data-testid="plan-graph">
            <svg viewBox=format!("0 0 {} {}", graph.width, graph.height) width=graph.width
                role="img" aria-label=format!("Workflow: {description}")>
                <defs>
                    <marker id=marker.clone() viewBox="0 0 8 8" refX="8" refY="4" markerWidth="8"
                        markerHeight="8" orient="auto-start-reverse">
                        <path class="arrowhead" d="M0,0 L8,4 L0,8 z" />
                    </marker>
                </defs>
                {edges}
                {boxes}
            </svg>
        </figure>
    }
}

/// Where an arrow leaves `from`: an IF's two outputs apart, anything else mid-height.
fn exit_y(from: &GraphBox, label: Option<BranchLabel>) -> u32 {
    match label {
        Some(BranchLabel::True) => from.y + from.height / 3,
        Some(BranchLabel::False) => from.y + from.height * 2 / 3,
        None => from.y + from.height / 2,
    }
}

fn arrow(
    from: &GraphBox,
    to: &GraphBox,
    label: Option<BranchLabel>,
    marker: &str,
) -> impl IntoView {
    let (x1, y1) = (from.x + from.width, exit_y(from, label));
    let (x2, y2) = (to.x, to.y + to.height / 2);
    let path = if y1 == y2 {
        format!("M{x1},{y1} L{x2},{y2}")
    } else {
        format!(
            "M{x1},{y1} C{},{y1} {},{y2} {x2},{y2}",
            x1 + BEND,
            x2.saturating_sub(BEND)
        )
    };
    let text = label.map(|label| {
        let (word, class, dy) = match label {
            BranchLabel::True => ("true", "edge-label true", -4i64),
            BranchLabel::False => ("false", "edge-label false", 12),
        };
        view! { <text class=class x=x1 + 6 y=i64::from(y1) + dy>{word}</text> }
    });
    view! {
        <path class="edge" d=path marker-end=format!("url(#{marker})") />
        {text}
    }
}

fn node(b: &GraphBox) -> impl IntoView {
    let kind = match b.kind {
        BoxKind::Trigger => "trigger",
        BoxKind::Action => "action",
        BoxKind::Condition => "condition",
        BoxKind::Transform => "transform",
        BoxKind::Respond => "respond",
    };
    let detail: String = if b.detail.chars().count() > DETAIL_CHARS {
        let mut short: String = b.detail.chars().take(DETAIL_CHARS - 1).collect();
        short.push('…');
        short
    } else {
        b.detail.clone()
    };
    view! {
        <g class=format!("node {kind}") data-testid="plan-graph-node">
            <title>{format!("{}: {}", b.label, b.detail)}</title>
            <rect x=b.x y=b.y width=b.width height=b.height rx="8" />
            <text class="node-label" x=b.x + 12 y=b.y + 26>{b.label.clone()}</text>
            <text class="node-detail" x=b.x + 12 y=b.y + 46>{detail}</text>
        </g>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use flowpulse_core::builder::graph::graph;
    use flowpulse_core::builder::plan::{Condition, Operator, Step, Trigger, WorkflowPlan};

    fn html(graph: Graph) -> String {
        Owner::new().with(|| view! { <PlanGraph graph key="m1" /> }.to_html())
    }

    fn branching(channel: &str) -> WorkflowPlan {
        WorkflowPlan {
            title: "Orders".into(),
            trigger: Trigger::Manual,
            steps: vec![Step::If {
                condition: Condition {
                    field: "total".into(),
                    operator: Operator::Greater,
                    value: Some(100.into()),
                },
                then: vec![Step::Slack {
                    channel: channel.into(),
                    text: "big".into(),
                    credential: None,
                }],
                otherwise: vec![Step::Wait { seconds: 60 }],
            }],
        }
    }

    #[test]
    fn every_node_is_a_box_and_every_connection_an_arrow_in_the_graphs_frame() {
        let plan = branching("#sales");
        let shape = graph(&plan);
        let out = html(shape.clone());
        assert!(
            out.contains(&format!("viewBox=\"0 0 {} {}\"", shape.width, shape.height)),
            "{out}"
        );
        assert_eq!(out.matches("<rect").count(), shape.boxes.len());
        assert_eq!(out.matches("class=\"edge\"").count(), shape.edges.len());
        assert_eq!(
            out.matches("marker-end=\"url(#arrow-m1)\"").count(),
            shape.edges.len()
        );
        assert!(out.contains("class=\"node trigger\""), "{out}");
    }

    #[test]
    fn an_ifs_outputs_are_labelled_true_and_false() {
        let out = html(graph(&branching("#sales")));
        assert_eq!(out.matches(">true</text>").count(), 1, "{out}");
        assert_eq!(out.matches(">false</text>").count(), 1, "{out}");
    }

    #[test]
    fn labels_are_escaped_and_long_details_shortened_with_the_whole_text_in_the_tooltip() {
        let channel = "#<script>alert(1)</script>-and-a-very-long-channel-name";
        let out = html(graph(&branching(channel)));
        assert!(!out.contains("<script>"), "{out}");
        assert!(out.contains("&lt;script&gt;"), "{out}");
        assert!(out.contains('…'), "{out}");
    }
}
