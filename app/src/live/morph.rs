//! Patches a live region into the shape of its freshly rendered version, touching only what
//! differs: a changed counter becomes one text update, not a rebuilt table, so focus, scroll,
//! open `<details>` and hydrated islands survive.
//!
//! Children carrying `data-key` (table rows, list items) are paired by key, not by position:
//! a row inserted at the top is one insertion, and every other row keeps its element (and what
//! the user did to it) however far it moved. Children without a key are paired in order.
//!
//! An element the server rendered with only some of its keyed children (`data-live-partial`)
//! patches just those, in place; when its list of keys (`data-live-keys`) differs from the
//! page's, rows moved, came or went, and [`take_moved`] tells the bridge to read them all.

use super::{KEYS_ATTR, PARTIAL_ATTR};
use std::cell::Cell;
use std::collections::{HashMap, VecDeque};
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{Element, Node};

/// Tag of the element Leptos wraps each island in.
const ISLAND_TAG: &str = "LEPTOS-ISLAND";
/// The attribute that pairs an old child with its new version.
pub const KEY: &str = "data-key";

thread_local! {
    /// A partial render did not match the page's rows (see [`take_moved`]).
    static MOVED: Cell<bool> = const { Cell::new(false) };
}

/// True (once) when a partial render patched since the last call found the rows moved, added
/// or removed: the page's rows are not all current and must be read whole.
pub fn take_moved() -> bool {
    MOVED.with(|moved| moved.replace(false))
}

fn children(node: &Node) -> Vec<Node> {
    let list = node.child_nodes();
    (0..list.length())
        .filter_map(|index| list.item(index))
        .collect()
}

fn key_of(node: &Node) -> Option<String> {
    node.dyn_ref::<Element>()?.get_attribute(KEY)
}

/// Makes the children of `old` match the children of `new` (which it may take nodes from).
pub fn patch_children(old: &Node, new: &Node) {
    let mut keyed: HashMap<String, Node> = HashMap::new();
    let mut unkeyed: VecDeque<Node> = VecDeque::new();
    for child in children(old) {
        match key_of(&child) {
            Some(key) => {
                keyed.insert(key, child);
            }
            None => unkeyed.push_back(child),
        }
    }
    for (index, new_child) in children(new).iter().enumerate() {
        let matched = match key_of(new_child) {
            Some(key) => keyed.remove(&key),
            None => unkeyed.pop_front(),
        };
        // What sits at this position now: the matched child goes (or stays) right here.
        let here = old
            .child_nodes()
            .item(u32::try_from(index).unwrap_or(u32::MAX));
        match matched {
            Some(old_child) => {
                let current = patch_node(&old_child, new_child);
                if here.as_ref() != Some(&current) {
                    let _ = old.insert_before(&current, here.as_ref());
                }
            }
            None => {
                if old.insert_before(new_child, here.as_ref()).is_ok() {
                    hydrate_islands_in(new_child);
                }
            }
        }
    }
    for surplus in keyed.into_values().chain(unkeyed) {
        let _ = old.remove_child(&surplus);
    }
}

/// Patches `old` into `new` and returns the node now in its place: `old` itself, or `new`
/// when the two could not be patched into each other.
fn patch_node(old: &Node, new: &Node) -> Node {
    if old.node_type() != new.node_type() {
        return replace(old, new);
    }
    match old.node_type() {
        Node::ELEMENT_NODE => {
            let (Some(old_element), Some(new_element)) =
                (old.dyn_ref::<Element>(), new.dyn_ref::<Element>())
            else {
                return old.clone();
            };
            if old_element.tag_name() != new_element.tag_name() {
                return replace(old, new);
            }
            if old_element.tag_name() == ISLAND_TAG {
                // An island's DOM is its own (it may hold state); only new props replace it.
                if same_island(old_element, new_element) {
                    return old.clone();
                }
                return replace(old, new);
            }
            if new_element.has_attribute(PARTIAL_ATTR) {
                patch_rendered_rows(old, new);
                return old.clone();
            }
            if !old.is_equal_node(Some(new)) {
                patch_attributes(old_element, new_element);
                patch_children(old, new);
            }
            old.clone()
        }
        Node::TEXT_NODE | Node::COMMENT_NODE => {
            let text = new.node_value();
            if old.node_value() != text {
                old.set_node_value(text.as_deref());
            }
            old.clone()
        }
        _ => replace(old, new),
    }
}

/// Patches the keyed children a partial render holds into their counterparts, leaving every
/// other child as it is; notes when the rows no longer line up with the page's.
fn patch_rendered_rows(old: &Node, new: &Node) {
    let keys_of = |node: &Node| {
        node.dyn_ref::<Element>()
            .and_then(|element| element.get_attribute(KEYS_ATTR))
    };
    if keys_of(old).is_none() || keys_of(old) != keys_of(new) {
        MOVED.with(|moved| moved.set(true));
    }
    let mut shown: HashMap<String, Node> = children(old)
        .into_iter()
        .filter_map(|child| Some((key_of(&child)?, child)))
        .collect();
    // Only the keyed children are rows; anything else around them is left as it is.
    for new_child in children(new) {
        let Some(key) = key_of(&new_child) else {
            continue;
        };
        match shown.remove(&key) {
            Some(old_child) => {
                patch_node(&old_child, &new_child);
            }
            None => MOVED.with(|moved| moved.set(true)),
        }
    }
}

fn same_island(old: &Element, new: &Element) -> bool {
    ["data-component", "data-props"]
        .iter()
        .all(|name| old.get_attribute(name) == new.get_attribute(name))
}

fn patch_attributes(old: &Element, new: &Element) {
    let fresh = new.attributes();
    for index in 0..fresh.length() {
        if let Some(attribute) = fresh.item(index) {
            let (name, value) = (attribute.name(), attribute.value());
            if old.get_attribute(&name).as_deref() != Some(value.as_str()) {
                let _ = old.set_attribute(&name, &value);
            }
        }
    }
    let stale: Vec<String> = {
        let current = old.attributes();
        (0..current.length())
            .filter_map(|index| current.item(index))
            .map(|attribute| attribute.name())
            .filter(|name| !new.has_attribute(name))
            .collect()
    };
    for name in stale {
        let _ = old.remove_attribute(&name);
    }
}

/// Puts `new` where `old` is and returns the node now there.
fn replace(old: &Node, new: &Node) -> Node {
    if let Some(parent) = old.parent_node() {
        if parent.replace_child(new, old).is_ok() {
            hydrate_islands_in(new);
            return new.clone();
        }
    }
    old.clone()
}

/// Hydrates the islands in a subtree that came from a fetched page, through the function
/// Leptos' island script leaves on `window`.
fn hydrate_islands_in(node: &Node) {
    let Some(element) = node.dyn_ref::<Element>() else {
        return;
    };
    let mut islands = super::bridge::select_all(element, "leptos-island");
    if element.tag_name() == ISLAND_TAG {
        islands.insert(0, element.clone());
    }
    let window = leptos::prelude::window();
    let Ok(hydrate) = js_sys::Reflect::get(&window, &JsValue::from_str("__hydrateIsland")) else {
        return;
    };
    let Some(hydrate) = hydrate.dyn_ref::<js_sys::Function>() else {
        return;
    };
    // FlowPulse nests no islands, so each one is hydrated on its own.
    for island in islands {
        let id = island.get_attribute("data-component").unwrap_or_default();
        let _ = hydrate.call2(&window, &island, &JsValue::from_str(&id));
    }
}
