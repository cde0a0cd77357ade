//! The pure execution sync plan for one provider.
//!
//! Facts about n8n this plan is built on:
//! - `GET /executions` lists newest first by id, with a stable id cursor.
//! - Running executions are NOT listed, and ids have gaps (deleted or pruned executions, and
//!   running ones), so "not listed" can mean "gone" or "still running".
//!
//! The stored watermark `W` means: every id ≤ W is stored in a final state or does not exist.
//! A run therefore:
//! 1. lists pages until one holds an id ≤ W (or the listing ends), ingesting ids > W
//!    ([`ListingScan::accept_page`]);
//! 2. fetches by id the gaps in (W, top] and the stored executions still unfinished
//!    ([`ListingScan::ids_to_fetch`]), ingesting whatever is found;
//! 3. advances the watermark only across contiguous final or non-existent ids
//!    ([`ListingScan::new_watermark`]).
//!
//! A run that runs short of time lists in slices instead and finishes over later runs: see
//! [`backfill`].
//!
//! Known limitation of the first sync (W = 0) when the listing is exhausted: ids below the
//! lowest listed id are taken as pruned, not probed, since probing them could mean millions of
//! requests. A running execution older than every listed one is then missed for good: it is not
//! listed while it runs, and once it finishes its id is below the new watermark, which later
//! listings stop at and never re-examine.

use std::collections::{BTreeMap, BTreeSet};

use crate::n8n::{Execution, ExecutionId, ExecutionStatus};

pub mod backfill;
pub use backfill::{pass_start, watermark_after_pass, Backfill};

/// Whether to fetch another listing page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScanStep {
    /// Fetch the next page with the reply's `nextCursor`.
    Continue,
    /// Stop listing; go on with [`ListingScan::ids_to_fetch`].
    Stop,
}

/// What to do with one listing page.
#[derive(Debug, Clone, PartialEq)]
pub struct PageVerdict<'a> {
    /// Executions to ingest: those with an id above the watermark (ids ≤ W are already stored
    /// in a final state).
    pub to_ingest: Vec<&'a Execution>,
    /// Whether to request another page.
    pub step: ScanStep,
}

/// What fetching one execution by id showed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProbeResult {
    /// It exists, in this status (ingest it too).
    Found(ExecutionStatus),
    /// n8n answered 404: deleted, pruned, or never created.
    NotFound,
}

/// The state of one listing pass over a provider's executions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListingScan {
    watermark: u64,
    /// Listed ids above the watermark with the status the listing reported.
    listed: BTreeMap<ExecutionId, ExecutionStatus>,
    /// A page held an id ≤ W: everything above W that n8n lists has been seen.
    reached_watermark: bool,
    /// The last page had no next cursor: everything n8n lists has been seen.
    exhausted: bool,
}

impl ListingScan {
    /// Starts a scan against the stored watermark.
    pub fn new(watermark: u64) -> Self {
        Self {
            watermark,
            listed: BTreeMap::new(),
            reached_watermark: false,
            exhausted: false,
        }
    }

    /// The watermark the scan started from.
    pub fn watermark(&self) -> u64 {
        self.watermark
    }

    /// The highest listed id above the watermark.
    pub fn top(&self) -> Option<ExecutionId> {
        self.listed.keys().next_back().copied()
    }

    /// The lowest listed id above the watermark.
    pub fn lowest(&self) -> Option<ExecutionId> {
        self.listed.keys().next().copied()
    }

    /// True once a page held an id at or below the watermark.
    pub fn reached_watermark(&self) -> bool {
        self.reached_watermark
    }

    /// True once the listing covered everything above the watermark, so gaps can be trusted.
    pub fn is_complete(&self) -> bool {
        self.reached_watermark || self.exhausted
    }

    /// True when the listing ran out of pages (as opposed to reaching the watermark).
    pub fn is_exhausted(&self) -> bool {
        self.exhausted
    }

    /// Records one page and says which of its executions to ingest and whether to go on.
    ///
    /// Accepting the same page again changes nothing. An empty page that still carries a cursor
    /// stops the scan without completing it, so a misbehaving server cannot loop us forever
    /// and the watermark stays put.
    pub fn accept_page<'a>(
        &mut self,
        page: &'a [Execution],
        has_next_cursor: bool,
    ) -> PageVerdict<'a> {
        let mut to_ingest = Vec::new();
        for execution in page {
            if execution.id.0 <= self.watermark {
                self.reached_watermark = true;
            } else {
                self.listed.insert(execution.id, execution.status);
                to_ingest.push(execution);
            }
        }
        if !has_next_cursor {
            self.exhausted = true;
        }
        let step = if self.is_complete() || page.is_empty() {
            ScanStep::Stop
        } else {
            ScanStep::Continue
        };
        PageVerdict { to_ingest, step }
    }

    /// The lowest id whose state the walk must establish; ids below it count as settled.
    fn walk_start(&self) -> Option<u64> {
        let lowest_listed = self.listed.keys().next()?.0;
        // First-sync special case: see the module docs for why and what it costs.
        if self.watermark == 0 && self.exhausted && !self.reached_watermark {
            Some(lowest_listed)
        } else {
            Some(self.watermark.saturating_add(1))
        }
    }

    /// Ids in (W, top] that were not listed, ascending, at most `cap`. In the first-sync special
    /// case (see the module docs) only ids from the lowest listed one up are considered.
    ///
    /// Empty while the listing is incomplete: the watermark cannot move then, so probing would
    /// be wasted requests.
    pub fn gaps_to_probe(&self, cap: usize) -> Vec<ExecutionId> {
        let (Some(start), true) = (self.walk_start(), self.is_complete()) else {
            return Vec::new();
        };
        let mut gaps = Vec::new();
        let mut next_expected = start;
        // Walk listed ids rather than the whole range: gaps can be huge after pruning.
        for id in self.listed.keys() {
            while next_expected < id.0 && gaps.len() < cap {
                gaps.push(ExecutionId(next_expected));
                next_expected += 1;
            }
            if gaps.len() >= cap {
                break;
            }
            next_expected = next_expected.max(id.0 + 1);
        }
        gaps
    }

    /// Every id to fetch by id after listing: the gaps (at most `gap_cap`) plus the stored
    /// executions still unfinished that the listing did not report again. Ascending, no
    /// duplicates. Each result goes both to ingestion (when found) and into the probe map of
    /// [`Self::new_watermark`].
    pub fn ids_to_fetch(
        &self,
        stored_unfinished: &[ExecutionId],
        gap_cap: usize,
    ) -> Vec<ExecutionId> {
        let mut ids: BTreeSet<ExecutionId> = recheck(stored_unfinished)
            .into_iter()
            .filter(|id| !self.listed.contains_key(id))
            .collect();
        ids.extend(self.gaps_to_probe(gap_cap));
        ids.into_iter().collect()
    }

    /// The watermark to store after this run, given what fetching by id showed.
    ///
    /// Walks ascending from W + 1 and advances while each id is listed in a final state, probed
    /// and not found, or probed and found final; it stops at the first id that is not final or
    /// whose state is unknown. Never returns less than W; returns W if the listing was cut short
    /// or listed nothing above W.
    pub fn new_watermark(&self, probes: &BTreeMap<ExecutionId, ProbeResult>) -> u64 {
        let (Some(start), Some(top), true) = (self.walk_start(), self.top(), self.is_complete())
        else {
            return self.watermark;
        };
        // In the first-sync special case ids below the lowest listed one count as gone, unless
        // a probe (e.g. the recheck of a stored running execution) shows one still unfinished:
        // the watermark must not pass it.
        let unfinished_below_start = probes.iter().find(|(id, probe)| {
            id.0 > self.watermark
                && id.0 < start
                && matches!(probe, ProbeResult::Found(status) if !status.is_final())
        });
        if let Some((blocker, _)) = unfinished_below_start {
            return (blocker.0 - 1).max(self.watermark);
        }

        let mut watermark = start - 1;
        for id in start..=top.0 {
            let id = ExecutionId(id);
            let settled = match (self.listed.get(&id), probes.get(&id)) {
                // A probe is the fresher fact: it was made after the listing.
                (_, Some(ProbeResult::NotFound)) => true,
                (_, Some(ProbeResult::Found(status))) => status.is_final(),
                (Some(listed), None) => listed.is_final(),
                (None, None) => false,
            };
            if !settled {
                break;
            }
            watermark = id.0;
        }
        watermark.max(self.watermark)
    }
}

/// Stored executions still running, waiting or new must be re-fetched by id every run, because
/// the listing omits running ones and the watermark never passes them. Sorted, deduplicated.
pub fn recheck(stored_unfinished: &[ExecutionId]) -> Vec<ExecutionId> {
    let ids: BTreeSet<ExecutionId> = stored_unfinished.iter().copied().collect();
    ids.into_iter().collect()
}

#[cfg(test)]
mod tests;
