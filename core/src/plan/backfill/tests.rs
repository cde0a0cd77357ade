//! The resumable pass: slices, staleness and the watermark once the pass completes.

use super::*;
use crate::n8n::{Execution, ExecutionStatus};
use ExecutionStatus::{Running, Success};

fn page(ids: impl IntoIterator<Item = u64>) -> Vec<Execution> {
    let mut page: Vec<Execution> = ids
        .into_iter()
        .map(|id| Execution {
            id: ExecutionId(id),
            finished: true,
            mode: "trigger".into(),
            retry_of: None,
            retry_success_id: None,
            status: Success,
            started_at: None,
            stopped_at: None,
            workflow_id: "wf".into(),
            wait_till: None,
            data: None,
        })
        .collect();
    page.sort_by_key(|execution| std::cmp::Reverse(execution.id));
    page
}

fn ids(values: &[u64]) -> Vec<ExecutionId> {
    values.iter().copied().map(ExecutionId).collect()
}

fn probes(entries: &[(u64, ProbeResult)]) -> BTreeMap<ExecutionId, ProbeResult> {
    entries
        .iter()
        .map(|&(id, probe)| (ExecutionId(id), probe))
        .collect()
}

#[test]
fn a_first_slice_spans_what_the_run_listed() {
    let mut scan = ListingScan::new(0);
    let listing = page(700..=1000);
    scan.accept_page(&listing, true);
    let backfill = Backfill::first_slice("c1".into(), &scan).unwrap();
    assert_eq!((backfill.low, backfill.top), (700, 1000));
    assert!(Backfill::first_slice("c".into(), &ListingScan::new(0)).is_none());
}

#[test]
fn a_later_slice_lowers_low_and_new_executions_raise_top() {
    let backfill = Backfill {
        cursor: "c1".into(),
        low: 700,
        top: 1000,
    };
    let mut front = ListingScan::new(1000);
    let new_ones = page(1000..=1010);
    front.accept_page(&new_ones, true);
    let mut slice = ListingScan::new(0);
    let older = page(400..700);
    slice.accept_page(&older, true);
    let next = backfill.advanced("c2".into(), &slice, &front);
    assert_eq!(
        (next.cursor.as_str(), next.low, next.top),
        ("c2", 400, 1010)
    );

    let nothing = ListingScan::new(0);
    let same = backfill.advanced("c3".into(), &nothing, &ListingScan::new(1000));
    assert_eq!((same.low, same.top), (700, 1000));
}

#[test]
fn a_pass_the_watermark_caught_up_with_is_not_resumed() {
    let backfill = Backfill {
        cursor: "c".into(),
        low: 10,
        top: 50,
    };
    assert!(backfill.clone().resumable(9).is_some());
    assert!(backfill.clone().resumable(49).is_some());
    assert!(backfill.clone().resumable(50).is_none());
    let inverted = Backfill {
        cursor: "c".into(),
        low: 60,
        top: 50,
    };
    assert!(inverted.resumable(0).is_none());
}

#[test]
fn a_first_sync_that_ran_out_of_pages_starts_at_the_oldest_listed_id() {
    let mut last = ListingScan::new(0);
    let oldest = page(300..400);
    last.accept_page(&oldest, false);
    assert_eq!(pass_start(0, &last, 400), 300);
    // The slice listed nothing (an empty last page): the pass's own low is the oldest.
    let mut empty = ListingScan::new(0);
    empty.accept_page(&[], false);
    assert_eq!(pass_start(0, &empty, 400), 400);
    // With a watermark the pass vouches for everything above it.
    let mut reached = ListingScan::new(120);
    let down_to_it = page(110..200);
    reached.accept_page(&down_to_it, true);
    assert_eq!(pass_start(120, &reached, 200), 121);
}

#[test]
fn without_gaps_or_unfinished_executions_the_watermark_reaches_the_top() {
    assert_eq!(
        watermark_after_pass(0, 1000, &[], 200, &[], &probes(&[])),
        1000
    );
}

#[test]
fn gaps_found_gone_or_final_are_passed_and_a_running_one_stops_the_watermark() {
    let gaps = ids(&[5, 9, 40]);
    let seen = probes(&[
        (5, ProbeResult::NotFound),
        (9, ProbeResult::Found(Success)),
        (40, ProbeResult::Found(Running)),
    ]);
    assert_eq!(watermark_after_pass(0, 100, &gaps, 200, &[], &seen), 39);
}

#[test]
fn a_gap_that_could_not_be_fetched_stops_the_watermark() {
    let gaps = ids(&[5, 9]);
    let seen = probes(&[(5, ProbeResult::NotFound)]);
    assert_eq!(watermark_after_pass(0, 100, &gaps, 200, &[], &seen), 8);
}

#[test]
fn gaps_beyond_the_cap_were_not_fetched_so_the_first_of_them_stops_the_watermark() {
    let gaps = ids(&[5, 9, 12]);
    let seen = probes(&[(5, ProbeResult::NotFound), (9, ProbeResult::NotFound)]);
    assert_eq!(watermark_after_pass(0, 100, &gaps, 2, &[], &seen), 11);
}

#[test]
fn a_stored_execution_still_running_stops_the_watermark_unless_it_finished() {
    let unfinished = ids(&[30, 70]);
    let seen = probes(&[
        (30, ProbeResult::Found(Success)),
        (70, ProbeResult::Found(Running)),
    ]);
    assert_eq!(
        watermark_after_pass(10, 100, &[], 200, &unfinished, &seen),
        69
    );
    let finished = probes(&[
        (30, ProbeResult::Found(Success)),
        (70, ProbeResult::NotFound),
    ]);
    assert_eq!(
        watermark_after_pass(10, 100, &[], 200, &unfinished, &finished),
        100
    );
}

#[test]
fn unfinished_executions_outside_the_pass_do_not_matter_and_it_never_moves_down() {
    // 5 is at or below the old watermark (it cannot be: ignore it), 500 above the top.
    let unfinished = ids(&[5, 500]);
    assert_eq!(
        watermark_after_pass(10, 100, &[], 200, &unfinished, &probes(&[])),
        100
    );
    let gaps = ids(&[11]);
    assert_eq!(
        watermark_after_pass(10, 100, &gaps, 200, &[], &probes(&[])),
        10
    );
}
