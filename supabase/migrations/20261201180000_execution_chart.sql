-- The dashboard's chart and the duration figures, computed where the rows are: one RPC buckets
-- executions by start time (outcomes and p50/p95/max duration per bucket) for any range, with
-- no row cap; the per-workflow durations take the same narrowing (instance, workflow) so the
-- table and a workflow's history page read only what they show. Invoker's rights: RLS limits
-- every row to the caller's own.

create or replace function public.execution_chart(
  p_since timestamptz,
  p_bucket interval,
  p_provider_id uuid default null,
  p_workflow_id uuid default null
) returns table (bucket timestamptz, succeeded bigint, failed bigint, other bigint,
                 timed bigint, p50_ms double precision, p95_ms double precision,
                 max_ms bigint)
language sql
stable
security invoker
set search_path = ''
as $$
  select date_bin(p_bucket, e.started_at, p_since) as bucket,
    count(*) filter (where e.status = 'success'),
    count(*) filter (where e.status in ('error', 'crashed')),
    count(*) filter (where e.status not in ('success', 'error', 'crashed')),
    -- Unfinished executions have no duration; count and percentile_cont skip the nulls.
    count(e.duration_ms),
    percentile_cont(0.5) within group (order by e.duration_ms),
    percentile_cont(0.95) within group (order by e.duration_ms),
    max(e.duration_ms)
  from public.executions e
  where e.started_at >= p_since
    and (p_provider_id is null or e.provider_id = p_provider_id)
    and (p_workflow_id is null or e.workflow_id = p_workflow_id)
  group by 1
  order by 1
$$;

-- Superseded: the chart above carries the durations per bucket.
drop function public.duration_buckets(timestamptz, interval, uuid);

-- Same figures as before, narrowed by instance or workflow when asked.
drop function public.workflow_durations(timestamptz);
create function public.workflow_durations(
  p_since timestamptz,
  p_provider_id uuid default null,
  p_workflow_id uuid default null
) returns table (workflow_id uuid, runs bigint, p50_ms double precision,
                 p95_ms double precision, max_ms bigint)
language sql
stable
security invoker
set search_path = ''
as $$
  select e.workflow_id, count(*),
    percentile_cont(0.5) within group (order by e.duration_ms),
    percentile_cont(0.95) within group (order by e.duration_ms),
    max(e.duration_ms)
  from public.executions e
  where e.workflow_id is not null and e.duration_ms is not null and e.started_at >= p_since
    and (p_provider_id is null or e.provider_id = p_provider_id)
    and (p_workflow_id is null or e.workflow_id = p_workflow_id)
  group by e.workflow_id
$$;

revoke execute on function public.execution_chart(timestamptz, interval, uuid, uuid),
  public.workflow_durations(timestamptz, uuid, uuid)
  from public, anon;
grant execute on function public.execution_chart(timestamptz, interval, uuid, uuid),
  public.workflow_durations(timestamptz, uuid, uuid)
  to authenticated, service_role;
