//! The shape of a plan as n8n runs it: one node per trigger or step with a unique name, a grid
//! cell (left to right; an IF's `then` branch on its row, `otherwise` stacked below), and the
//! connections between them. `render` places n8n nodes with it and the chat page draws the same
//! boxes as an SVG preview, so the preview and the deployed workflow cannot disagree.
//!
//! Steps after an IF continue from the end of both branches (an empty branch connects the IF's
//! output straight on), so each item carries on after whichever branch it took.

use serde::{Deserialize, Serialize};

use super::catalogue::{spec, step_kind, trigger_kind, NodeKind};
use super::plan::{Step, Trigger, WorkflowPlan};
use super::summary::{step_label, trigger_label};

/// What a node comes from.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Source<'a> {
    Trigger(&'a Trigger),
    Step(&'a Step),
}

/// One node in grid terms.
#[derive(Debug, Clone)]
pub(crate) struct FlatNode<'a> {
    pub name: String,
    pub kind: NodeKind,
    pub source: Source<'a>,
    pub column: u32,
    pub row: u32,
}

/// A connection from `from`'s output `output` to `to`'s input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct FlatEdge {
    pub from: usize,
    pub output: usize,
    pub to: usize,
}

/// The plan's nodes (trigger first, then steps depth first) and connections.
#[derive(Debug, Clone)]
pub(crate) struct Flat<'a> {
    pub nodes: Vec<FlatNode<'a>>,
    pub edges: Vec<FlatEdge>,
}

/// Lays a plan out on the grid.
pub(crate) fn flatten(plan: &WorkflowPlan) -> Flat<'_> {
    let mut flat = Flat {
        nodes: Vec::new(),
        edges: Vec::new(),
    };
    let trigger = flat.push(Source::Trigger(&plan.trigger), 0, 0);
    flat.place(&plan.steps, vec![(trigger, 0)], 1, 0);
    flat
}

impl<'a> Flat<'a> {
    fn push(&mut self, source: Source<'a>, column: u32, row: u32) -> usize {
        let kind = match source {
            Source::Trigger(trigger) => trigger_kind(trigger),
            Source::Step(step) => step_kind(step),
        };
        let name = self.unique_name(spec(kind).default_name);
        self.nodes.push(FlatNode {
            name,
            kind,
            source,
            column,
            row,
        });
        self.nodes.len() - 1
    }

    /// n8n's own rule: the default name, then the same with 1, 2, ... appended.
    fn unique_name(&self, base: &str) -> String {
        let taken = |name: &str| self.nodes.iter().any(|node| node.name == name);
        if !taken(base) {
            return base.to_string();
        }
        (1..)
            .map(|n| format!("{base}{n}"))
            .find(|name| !taken(name))
            .expect("some suffix is free")
    }

    /// Places `steps` from (`column`, `row`), connecting the first to every `(node, output)` in
    /// `from`; returns the open ends and the next free column.
    fn place(
        &mut self,
        steps: &'a [Step],
        mut from: Vec<(usize, usize)>,
        mut column: u32,
        row: u32,
    ) -> (Vec<(usize, usize)>, u32) {
        for step in steps {
            let id = self.push(Source::Step(step), column, row);
            for (node, output) in from.drain(..) {
                self.edges.push(FlatEdge {
                    from: node,
                    output,
                    to: id,
                });
            }
            if let Step::If {
                then, otherwise, ..
            } = step
            {
                let (then_ends, then_column) = self.branch(then, (id, 0), column + 1, row);
                let below = row + height(then);
                let (other_ends, other_column) = self.branch(otherwise, (id, 1), column + 1, below);
                from = then_ends.into_iter().chain(other_ends).collect();
                column = then_column.max(other_column);
            } else {
                from = vec![(id, 0)];
                column += 1;
            }
        }
        (from, column)
    }

    fn branch(
        &mut self,
        steps: &'a [Step],
        start: (usize, usize),
        column: u32,
        row: u32,
    ) -> (Vec<(usize, usize)>, u32) {
        if steps.is_empty() {
            (vec![start], column)
        } else {
            self.place(steps, vec![start], column, row)
        }
    }
}

/// Rows a list of steps takes: one, or more where IF branches stack.
fn height(steps: &[Step]) -> u32 {
    steps
        .iter()
        .map(|step| match step {
            Step::If {
                then, otherwise, ..
            } if !otherwise.is_empty() => height(then) + height(otherwise),
            _ => 1,
        })
        .max()
        .unwrap_or(1)
}

/// A preview of a plan for an SVG: boxes in pixels and the arrows between them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Graph {
    /// One box per n8n node, trigger first.
    pub boxes: Vec<GraphBox>,
    /// Arrows, by index into `boxes`.
    pub edges: Vec<GraphEdge>,
    /// The drawing's width (the SVG's viewBox), margins included.
    pub width: u32,
    /// The drawing's height.
    pub height: u32,
}

/// One node of the preview.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GraphBox {
    /// Left edge.
    pub x: u32,
    /// Top edge.
    pub y: u32,
    /// Width.
    pub width: u32,
    /// Height.
    pub height: u32,
    /// The node's name in n8n.
    pub label: String,
    /// What it does, briefly ("Slack #sales").
    pub detail: String,
    /// How to draw it.
    pub kind: BoxKind,
}

/// Box styles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BoxKind {
    /// What starts the workflow.
    Trigger,
    /// Talks to the outside (HTTP, messages, email, database).
    Action,
    /// Decides (IF, Filter).
    Condition,
    /// Reshapes or delays items (Edit Fields, Code, Wait).
    Transform,
    /// Answers the webhook.
    Respond,
}

/// One arrow of the preview.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct GraphEdge {
    /// Index of the box it leaves.
    pub from: usize,
    /// Index of the box it enters.
    pub to: usize,
    /// `true` / `false` for an IF's outputs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<BranchLabel>,
}

/// Which IF output an arrow leaves from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BranchLabel {
    /// Output 0: items that match.
    True,
    /// Output 1: the others.
    False,
}

/// Box size and spacing of the preview, in pixels.
pub const BOX_WIDTH: u32 = 180;
/// Box height.
pub const BOX_HEIGHT: u32 = 64;
const GAP_X: u32 = 56;
const GAP_Y: u32 = 32;
const MARGIN: u32 = 16;

/// The preview of a plan.
pub fn graph(plan: &WorkflowPlan) -> Graph {
    let flat = flatten(plan);
    let boxes: Vec<GraphBox> = flat
        .nodes
        .iter()
        .map(|node| GraphBox {
            x: MARGIN + node.column * (BOX_WIDTH + GAP_X),
            y: MARGIN + node.row * (BOX_HEIGHT + GAP_Y),
            width: BOX_WIDTH,
            height: BOX_HEIGHT,
            label: node.name.clone(),
            detail: match node.source {
                Source::Trigger(trigger) => trigger_label(trigger),
                Source::Step(step) => step_label(step),
            },
            kind: box_kind(node.kind),
        })
        .collect();
    let edges = flat
        .edges
        .iter()
        .map(|edge| GraphEdge {
            from: edge.from,
            to: edge.to,
            label: (flat.nodes[edge.from].kind == NodeKind::If).then_some(if edge.output == 0 {
                BranchLabel::True
            } else {
                BranchLabel::False
            }),
        })
        .collect();
    let columns = flat.nodes.iter().map(|n| n.column).max().unwrap_or(0) + 1;
    let rows = flat.nodes.iter().map(|n| n.row).max().unwrap_or(0) + 1;
    Graph {
        boxes,
        edges,
        width: 2 * MARGIN + columns * BOX_WIDTH + (columns - 1) * GAP_X,
        height: 2 * MARGIN + rows * BOX_HEIGHT + (rows - 1) * GAP_Y,
    }
}

fn box_kind(kind: NodeKind) -> BoxKind {
    match kind {
        NodeKind::Webhook | NodeKind::Schedule | NodeKind::Manual | NodeKind::WorkflowError => {
            BoxKind::Trigger
        }
        NodeKind::HttpRequest
        | NodeKind::Slack
        | NodeKind::Email
        | NodeKind::Discord
        | NodeKind::Telegram
        | NodeKind::PostgresInsert => BoxKind::Action,
        NodeKind::If | NodeKind::Filter => BoxKind::Condition,
        NodeKind::SetFields | NodeKind::Code | NodeKind::Wait => BoxKind::Transform,
        NodeKind::RespondToWebhook => BoxKind::Respond,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::builder::plan::{Condition, Operator};

    fn wait(seconds: u32) -> Step {
        Step::Wait { seconds }
    }

    fn branching() -> WorkflowPlan {
        WorkflowPlan {
            title: "t".into(),
            trigger: Trigger::Manual,
            steps: vec![
                Step::If {
                    condition: Condition {
                        field: "total".into(),
                        operator: Operator::Greater,
                        value: Some(100.into()),
                    },
                    then: vec![wait(1), wait(2)],
                    otherwise: vec![wait(3)],
                },
                wait(4),
            ],
        }
    }

    #[test]
    fn a_straight_plan_runs_left_to_right_on_one_row() {
        let plan = WorkflowPlan {
            title: "t".into(),
            trigger: Trigger::Manual,
            steps: vec![wait(1), wait(2)],
        };
        let flat = flatten(&plan);
        let cells: Vec<(u32, u32)> = flat.nodes.iter().map(|n| (n.column, n.row)).collect();
        assert_eq!(cells, [(0, 0), (1, 0), (2, 0)]);
        let names: Vec<&str> = flat.nodes.iter().map(|n| n.name.as_str()).collect();
        assert_eq!(names, ["When clicking ‘Execute workflow’", "Wait", "Wait1"]);
        assert_eq!(
            flat.edges,
            [
                FlatEdge {
                    from: 0,
                    output: 0,
                    to: 1
                },
                FlatEdge {
                    from: 1,
                    output: 0,
                    to: 2
                }
            ]
        );
    }

    #[test]
    fn if_branches_stack_and_both_ends_continue_to_the_next_step() {
        let plan = branching();
        let flat = flatten(&plan);
        let cells: Vec<(u32, u32)> = flat.nodes.iter().map(|n| (n.column, n.row)).collect();
        // trigger, If, then: Wait, Wait1, otherwise: Wait2, after: Wait3
        assert_eq!(cells, [(0, 0), (1, 0), (2, 0), (3, 0), (2, 1), (4, 0)]);
        assert!(flat.edges.contains(&FlatEdge {
            from: 1,
            output: 0,
            to: 2
        }));
        assert!(flat.edges.contains(&FlatEdge {
            from: 1,
            output: 1,
            to: 4
        }));
        assert!(flat.edges.contains(&FlatEdge {
            from: 3,
            output: 0,
            to: 5
        }));
        assert!(flat.edges.contains(&FlatEdge {
            from: 4,
            output: 0,
            to: 5
        }));
    }

    #[test]
    fn an_empty_branch_connects_the_if_output_to_what_follows() {
        let mut plan = branching();
        if let Step::If { otherwise, .. } = &mut plan.steps[0] {
            otherwise.clear();
        }
        let flat = flatten(&plan);
        let after = flat.nodes.len() - 1;
        assert!(flat.edges.contains(&FlatEdge {
            from: 1,
            output: 1,
            to: after
        }));
    }

    #[test]
    fn the_preview_labels_if_outputs_and_fits_every_box() {
        let preview = graph(&branching());
        assert_eq!(preview.boxes.len(), 6);
        assert_eq!(preview.boxes[0].kind, BoxKind::Trigger);
        assert_eq!(preview.boxes[1].kind, BoxKind::Condition);
        assert_eq!(preview.boxes[1].detail, "If total > 100");
        let labels: Vec<Option<BranchLabel>> = preview
            .edges
            .iter()
            .filter(|e| e.from == 1)
            .map(|e| e.label)
            .collect();
        assert_eq!(labels, [Some(BranchLabel::True), Some(BranchLabel::False)]);
        assert!(preview
            .edges
            .iter()
            .filter(|e| e.from != 1)
            .all(|e| e.label.is_none()));
        for b in &preview.boxes {
            assert!(b.x + b.width <= preview.width && b.y + b.height <= preview.height);
        }
        assert_eq!(
            serde_json::to_value(preview.edges[1]).unwrap()["label"],
            "true"
        );
    }
}
