//! Resumable listing: a backlog too big for one run is listed in slices over successive runs.
//!
//! A run that must stop listing before it reaches the watermark keeps a [`Backfill`]: n8n's
//! cursor for the next page, and the range of ids `[low, top]` its pass has listed so far. The
//! next run first lists newest first down to `top` (new executions still come first), then
//! carries on from the cursor. Once the pass reaches the watermark (or n8n's oldest
//! execution), every id between the watermark and the top has been listed by one of the runs,
//! and the watermark is recomputed from what the database holds
//! ([`watermark_after_pass`]): listing alone cannot say which ids of earlier slices were
//! missing, so the ids the database does not hold (the gaps) are read there and fetched by id.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{ListingScan, ProbeResult};
use crate::n8n::ExecutionId;

/// Where an unfinished listing pass stopped, stored on the provider between runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Backfill {
    /// n8n's `nextCursor` after the last page listed: it lists the ids below `low`.
    pub cursor: String,
    /// The lowest id the pass listed.
    pub low: u64,
    /// The highest id the pass listed: later runs list down to it before resuming.
    pub top: u64,
}

impl Backfill {
    /// The pass to resume, unless it is stale: a watermark at or above its top means another
    /// run already finished it.
    pub fn resumable(self, watermark: u64) -> Option<Self> {
        (self.top > watermark && self.low <= self.top).then_some(self)
    }

    /// The pass after one more slice: `slice` listed ids below `low` (its own lowest id, if it
    /// listed any, becomes `low`), `front` listed the new ids above `top` first.
    pub fn advanced(&self, cursor: String, slice: &ListingScan, front: &ListingScan) -> Backfill {
        Backfill {
            cursor,
            low: slice.lowest().map_or(self.low, |id| id.0.min(self.low)),
            top: front.top().map_or(self.top, |id| id.0.max(self.top)),
        }
    }

    /// The first slice of a pass that started from the newest execution, if it listed any.
    pub fn first_slice(cursor: String, scan: &ListingScan) -> Option<Backfill> {
        Some(Backfill {
            cursor,
            low: scan.lowest()?.0,
            top: scan.top()?.0,
        })
    }
}

/// The lowest id a completed pass vouches for. Normally the one above the watermark; on a
/// first sync (watermark 0) that ran out of pages, the lowest id listed, as in
/// [`ListingScan::new_watermark`]: ids below n8n's oldest execution are taken as pruned.
pub fn pass_start(watermark: u64, last_slice: &ListingScan, pass_low: u64) -> u64 {
    if watermark == 0 && last_slice.is_exhausted() && !last_slice.reached_watermark() {
        last_slice
            .lowest()
            .map_or(pass_low, |id| id.0.min(pass_low))
    } else {
        watermark.saturating_add(1)
    }
}

/// The watermark once a pass over `(watermark, top]` completed.
///
/// `gaps`: the ids from the pass's start to `top` the database does not hold, ascending, as
/// read after the pass (at most `gap_cap + 1`; the ones beyond `gap_cap` were not fetched).
/// `stored_unfinished`: the provider's executions stored as not final before the probes.
/// `probes`: what fetching the first `gap_cap` gaps and the unfinished ones by id showed.
///
/// The watermark moves to just below the lowest id whose state is still open: a stored
/// execution not (yet) final, a gap found not final or not fetched; to `top` if there is none.
/// It never moves down.
pub fn watermark_after_pass(
    watermark: u64,
    top: u64,
    gaps: &[ExecutionId],
    gap_cap: usize,
    stored_unfinished: &[ExecutionId],
    probes: &BTreeMap<ExecutionId, ProbeResult>,
) -> u64 {
    let settled = |id: &ExecutionId| match probes.get(id) {
        Some(ProbeResult::NotFound) => true,
        Some(ProbeResult::Found(status)) => status.is_final(),
        None => false,
    };
    let open_gap = gaps
        .iter()
        .enumerate()
        .find(|(index, id)| *index >= gap_cap || !settled(id))
        .map(|(_, id)| id.0);
    let open_stored = stored_unfinished
        .iter()
        .filter(|id| id.0 > watermark && id.0 <= top && !settled(id))
        .map(|id| id.0)
        .min();
    let first_open = [open_gap, open_stored].into_iter().flatten().min();
    match first_open {
        Some(id) => id.saturating_sub(1).max(watermark),
        None => top.max(watermark),
    }
}

#[cfg(test)]
mod tests;
