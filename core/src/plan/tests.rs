//! Tests of the execution sync plan, kept in their own file to keep `plan.rs` readable.

use super::*;
use ExecutionStatus::{Error, Running, Success, Waiting};

fn execution(id: u64, status: ExecutionStatus) -> Execution {
    Execution {
        id: ExecutionId(id),
        finished: status.is_final(),
        mode: "trigger".into(),
        retry_of: None,
        retry_success_id: None,
        status,
        started_at: None,
        stopped_at: None,
        workflow_id: "wf".into(),
        wait_till: None,
        data: None,
    }
}

/// A newest-first page of executions, as n8n lists them.
fn page(ids_and_statuses: &[(u64, ExecutionStatus)]) -> Vec<Execution> {
    let mut page: Vec<_> = ids_and_statuses
        .iter()
        .map(|&(id, status)| execution(id, status))
        .collect();
    page.sort_by_key(|execution| std::cmp::Reverse(execution.id));
    page
}

fn successes(ids: impl IntoIterator<Item = u64>) -> Vec<(u64, ExecutionStatus)> {
    ids.into_iter().map(|id| (id, Success)).collect()
}

fn ids(values: &[u64]) -> Vec<ExecutionId> {
    values.iter().copied().map(ExecutionId).collect()
}

fn no_probes() -> BTreeMap<ExecutionId, ProbeResult> {
    BTreeMap::new()
}

#[test]
fn contiguous_final_executions_advance_the_watermark_to_the_top() {
    let mut scan = ListingScan::new(0);
    let listing = page(&successes(1..=5));
    let verdict = scan.accept_page(&listing, false);
    assert_eq!(verdict.step, ScanStep::Stop);
    assert_eq!(verdict.to_ingest.len(), 5);
    assert!(scan.gaps_to_probe(100).is_empty());
    assert_eq!(scan.new_watermark(&no_probes()), 5);
}

#[test]
fn an_unlisted_running_execution_in_the_middle_stops_the_watermark_just_below_it() {
    let mut scan = ListingScan::new(10);
    // 13 is running, so n8n leaves it out; 10 shows the listing reached the watermark.
    let listing = page(&successes([10, 11, 12, 14, 15]));
    let verdict = scan.accept_page(&listing, true);
    assert_eq!(verdict.step, ScanStep::Stop);
    assert_eq!(scan.gaps_to_probe(100), ids(&[13]));
    assert_eq!(scan.new_watermark(&no_probes()), 12);
    let running = BTreeMap::from([(ExecutionId(13), ProbeResult::Found(Running))]);
    assert_eq!(scan.new_watermark(&running), 12);
}

#[test]
fn a_gap_probed_as_not_found_is_passed() {
    let mut scan = ListingScan::new(10);
    scan.accept_page(&page(&successes([9, 11, 12, 14, 15])), true);
    let probes = BTreeMap::from([(ExecutionId(13), ProbeResult::NotFound)]);
    assert_eq!(scan.new_watermark(&probes), 15);
}

#[test]
fn a_gap_found_finished_is_passed_and_one_found_running_stops_the_walk() {
    let mut scan = ListingScan::new(0);
    scan.accept_page(&page(&successes([1, 3, 5, 6])), false);
    assert_eq!(scan.gaps_to_probe(100), ids(&[2, 4]));
    let probes = BTreeMap::from([
        (ExecutionId(2), ProbeResult::Found(Error)),
        (ExecutionId(4), ProbeResult::Found(Running)),
    ]);
    assert_eq!(scan.new_watermark(&probes), 3);
}

#[test]
fn a_listed_execution_that_is_not_final_stops_the_walk() {
    let mut scan = ListingScan::new(0);
    scan.accept_page(&page(&[(1, Success), (2, Waiting), (3, Success)]), false);
    assert_eq!(scan.new_watermark(&no_probes()), 1);
    // A later probe of the waiting one that shows it finished is the fresher fact.
    let finished = BTreeMap::from([(ExecutionId(2), ProbeResult::Found(Success))]);
    assert_eq!(scan.new_watermark(&finished), 3);
}

#[test]
fn a_listing_cut_short_keeps_the_watermark_and_probes_nothing() {
    let mut scan = ListingScan::new(10);
    let listing = page(&successes([20, 19, 18]));
    let verdict = scan.accept_page(&listing, true);
    assert_eq!(verdict.step, ScanStep::Continue);
    // The caller ran out of time here: ids 11..=17 were never seen.
    assert!(!scan.is_complete());
    assert!(scan.gaps_to_probe(100).is_empty());
    assert_eq!(scan.new_watermark(&no_probes()), 10);
}

#[test]
fn rescanning_the_same_data_gives_the_same_watermark() {
    let listing = page(&[
        (3, Success),
        (4, Success),
        (5, Success),
        (7, Success),
        (8, Error),
    ]);
    let probes = BTreeMap::from([(ExecutionId(6), ProbeResult::NotFound)]);
    let mut first = ListingScan::new(3);
    first.accept_page(&listing, true);
    let mut again = first.clone();
    again.accept_page(&listing, true);
    assert_eq!(again, first);
    assert_eq!(first.new_watermark(&probes), 8);
    assert_eq!(again.new_watermark(&probes), 8);
    // The next run starts from 8 and finds nothing new: the watermark stays.
    let mut next_run = ListingScan::new(8);
    let verdict = next_run.accept_page(&listing, true);
    assert!(verdict.to_ingest.is_empty());
    assert_eq!(next_run.new_watermark(&probes), 8);
}

#[test]
fn a_page_reaching_the_watermark_stops_the_scan_and_skips_stored_ids() {
    let mut scan = ListingScan::new(100);
    let first = page(&successes(103..=105));
    assert_eq!(scan.accept_page(&first, true).step, ScanStep::Continue);
    let second = page(&successes(99..=102));
    let verdict = scan.accept_page(&second, true);
    assert_eq!(verdict.step, ScanStep::Stop);
    let ingested: Vec<_> = verdict.to_ingest.iter().map(|e| e.id).collect();
    assert_eq!(ingested, ids(&[102, 101]));
    assert!(!scan.is_exhausted());
    assert_eq!(scan.new_watermark(&no_probes()), 105);
}

#[test]
fn an_empty_instance_keeps_the_watermark() {
    let mut fresh = ListingScan::new(0);
    assert_eq!(fresh.accept_page(&[], false).step, ScanStep::Stop);
    assert!(fresh.gaps_to_probe(10).is_empty());
    assert_eq!(fresh.new_watermark(&no_probes()), 0);

    // Everything pruned since the last run: nothing listed, nothing to conclude.
    let mut pruned = ListingScan::new(42);
    pruned.accept_page(&[], false);
    assert_eq!(pruned.new_watermark(&no_probes()), 42);
}

#[test]
fn an_empty_page_with_a_cursor_stops_without_completing() {
    let mut scan = ListingScan::new(5);
    assert_eq!(scan.accept_page(&[], true).step, ScanStep::Stop);
    assert!(!scan.is_complete());
}

#[test]
fn the_first_sync_treats_ids_below_the_lowest_listed_as_pruned() {
    let mut scan = ListingScan::new(0);
    scan.accept_page(&page(&successes([500, 501, 503])), false);
    assert_eq!(scan.gaps_to_probe(100), ids(&[502]));
    let probes = BTreeMap::from([(ExecutionId(502), ProbeResult::NotFound)]);
    assert_eq!(scan.new_watermark(&probes), 503);
}

#[test]
fn the_first_sync_does_not_pass_a_rechecked_execution_that_still_runs() {
    let mut scan = ListingScan::new(0);
    scan.accept_page(&page(&successes([500, 501])), false);
    let probes = BTreeMap::from([(ExecutionId(7), ProbeResult::Found(Running))]);
    assert_eq!(scan.new_watermark(&probes), 6);
}

#[test]
fn a_later_sync_that_exhausts_the_listing_probes_down_to_the_watermark() {
    let mut scan = ListingScan::new(2);
    scan.accept_page(&page(&successes([6, 7])), false);
    assert_eq!(scan.gaps_to_probe(100), ids(&[3, 4, 5]));
    assert_eq!(scan.gaps_to_probe(2), ids(&[3, 4]));
    // With only the capped probes answered, the watermark moves as far as they reach.
    let probes = BTreeMap::from([
        (ExecutionId(3), ProbeResult::NotFound),
        (ExecutionId(4), ProbeResult::NotFound),
    ]);
    assert_eq!(scan.new_watermark(&probes), 4);
}

#[test]
fn ids_to_fetch_joins_gaps_and_stored_unfinished_without_duplicates() {
    let mut scan = ListingScan::new(10);
    scan.accept_page(
        &page(&[(10, Success), (11, Success), (13, Success), (14, Success)]),
        true,
    );
    // 12 is a gap and also stored as running; 14 was listed again, so no recheck is needed.
    let stored_unfinished = ids(&[14, 12, 16, 12]);
    assert_eq!(scan.ids_to_fetch(&stored_unfinished, 100), ids(&[12, 16]));
    assert_eq!(recheck(&stored_unfinished), ids(&[12, 14, 16]));
}
