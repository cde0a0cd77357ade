-- Counters by delta: ingesting a page changes each touched workflow's counters by the
-- transitions the page contains (a new final execution, running → final, a final status
-- corrected, an execution linked to its workflow late), instead of recounting the workflow's
-- whole history on every page. Same idempotence (a repeated page writes nothing, so changes
-- nothing) and the same serialisation per provider (the provider row lock). It also stores the
-- insight columns: a successful retry's link (both ways), a waiting execution's resume time,
-- and never erases an error message fetched earlier (listings carry none).

-- The latest execution of a workflow, by n8n id, in one index probe.
create index executions_workflow_latest_idx
  on public.executions (workflow_id, n8n_execution_id desc);

create or replace function public.ingest_executions(
  p_provider_id uuid,
  p_rows jsonb,
  p_new_watermark bigint default null
) returns jsonb
language plpgsql
security invoker
set search_path = ''
as $$
declare
  v_user_id uuid;
  v_inserted integer := 0;
  v_updated integer := 0;
  v_deltas jsonb;
  v_workflows_changed integer := 0;
  v_watermark bigint;
begin
  -- Locking the provider row serialises concurrent ingests for one provider, so each counter
  -- recomputation sees every execution committed before it (no lost updates between runs).
  -- Under RLS a caller only finds (and can only lock) their own provider.
  select user_id, exec_watermark into v_user_id, v_watermark
  from public.providers where id = p_provider_id
  for update;
  if v_user_id is null then
    raise exception 'provider % not found', p_provider_id
      using errcode = 'P0002', hint = 'It does not exist or belongs to another user.';
  end if;

  with incoming as (
    select distinct on (r.n8n_execution_id) r.*
    from jsonb_to_recordset(coalesce(p_rows, '[]'::jsonb)) as r(
      n8n_execution_id bigint, n8n_workflow_id text, status text, mode text,
      started_at timestamptz, stopped_at timestamptz, duration_ms bigint, retry_of bigint,
      retry_success_id bigint, error_message text, wait_till timestamptz)
    order by r.n8n_execution_id
  ),
  -- The stored state of the page's executions before it is applied (the provider lock keeps
  -- every other ingest of this provider out meanwhile; all parts of one statement see the
  -- same snapshot, so this is the state the upsert replaces).
  before as (
    select e.n8n_execution_id, e.workflow_id, e.status
    from public.executions e
    where e.provider_id = p_provider_id
      and e.n8n_execution_id in (select i.n8n_execution_id from incoming i)
  ),
  upserted as (
    insert into public.executions as e (
      user_id, provider_id, workflow_id, n8n_workflow_id, n8n_execution_id, status, mode,
      started_at, stopped_at, duration_ms, retry_of, retry_success_id, error_message, wait_till)
    select v_user_id, p_provider_id, w.id, i.n8n_workflow_id, i.n8n_execution_id, i.status,
      coalesce(i.mode, 'unknown'), i.started_at, i.stopped_at, i.duration_ms, i.retry_of,
      i.retry_success_id, i.error_message, i.wait_till
    from incoming i
    left join public.mvp_workflows w
      on w.provider_id = p_provider_id and w.n8n_workflow_id = i.n8n_workflow_id
    on conflict (provider_id, n8n_execution_id) do update
      set workflow_id = coalesce(excluded.workflow_id, e.workflow_id),
          status = excluded.status,
          mode = excluded.mode,
          started_at = excluded.started_at,
          stopped_at = excluded.stopped_at,
          duration_ms = excluded.duration_ms,
          retry_of = excluded.retry_of,
          retry_success_id = coalesce(excluded.retry_success_id, e.retry_success_id),
          wait_till = excluded.wait_till,
          -- Listings carry no error text: keep what was fetched with the run data.
          error_message = coalesce(excluded.error_message, e.error_message)
      where (e.workflow_id, e.status, e.mode, e.started_at, e.stopped_at, e.duration_ms,
             e.retry_of, e.retry_success_id, e.error_message, e.wait_till)
          is distinct from (coalesce(excluded.workflow_id, e.workflow_id), excluded.status,
             excluded.mode, excluded.started_at, excluded.stopped_at, excluded.duration_ms,
             excluded.retry_of, coalesce(excluded.retry_success_id, e.retry_success_id),
             coalesce(excluded.error_message, e.error_message), excluded.wait_till)
        -- A stale reader (a slower concurrent run) never turns a finished execution back
        -- into a running one.
        and not (e.status in ('success', 'error', 'crashed', 'canceled')
                 and excluded.status not in ('success', 'error', 'crashed', 'canceled'))
    returning e.n8n_execution_id, e.workflow_id, e.status, (xmax = 0) as was_inserted
  ),
  -- Each written execution adds what it counts now to its workflow and takes away what it
  -- counted before (from the workflow it was linked to before).
  transitions as (
    select u.workflow_id, u.status, 1 as sign from upserted u where u.workflow_id is not null
    union all
    select b.workflow_id, b.status, -1 from upserted u
    join before b on b.n8n_execution_id = u.n8n_execution_id
    where b.workflow_id is not null
  ),
  deltas as (
    select t.workflow_id,
      coalesce(sum(t.sign) filter (where t.status in ('success', 'error', 'crashed', 'canceled')), 0)
        as total,
      coalesce(sum(t.sign) filter (where t.status = 'success'), 0) as succeeded,
      coalesce(sum(t.sign) filter (where t.status in ('error', 'crashed')), 0) as failed
    from transitions t
    group by t.workflow_id
  )
  select (select count(*) filter (where was_inserted) from upserted),
         (select count(*) filter (where not was_inserted) from upserted),
         (select jsonb_agg(d) from deltas d)
    into v_inserted, v_updated, v_deltas;

  -- A retry that succeeded marks the execution it retried (n8n reports the same link as
  -- `retrySuccessId`, but the original is rarely listed again once final).
  update public.executions o
  set retry_success_id = r.n8n_execution_id
  from jsonb_to_recordset(coalesce(p_rows, '[]'::jsonb))
         as r(n8n_execution_id bigint, retry_of bigint, status text)
  where o.provider_id = p_provider_id and o.n8n_execution_id = r.retry_of
    and r.status = 'success' and o.retry_success_id is distinct from r.n8n_execution_id;

  -- Counters move by the page's changes alone: the cost of a page no longer grows with the
  -- history behind it. The latest execution is one index probe per touched workflow.
  -- `recompute_workflow_counters` stays for pruning and consistency checks, and agrees (tested).
  if v_deltas is not null then
    with d as (
      select * from jsonb_to_recordset(v_deltas)
        as d(workflow_id uuid, total bigint, succeeded bigint, failed bigint)
    ),
    latest as (
      select d.workflow_id, l.started_at, l.status
      from d
      left join lateral (
        select e.started_at, e.status from public.executions e
        where e.workflow_id = d.workflow_id
        order by e.n8n_execution_id desc
        limit 1
      ) l on true
    ),
    changed as (
      update public.mvp_workflows w
      -- Never below zero, so a history counted by older rules cannot wedge every later
      -- ingest on the check constraints; a recount sets such a workflow right.
      set execution_count = greatest(w.execution_count + d.total, 0),
          successful_executions = greatest(w.successful_executions + d.succeeded, 0),
          failed_executions = greatest(w.failed_executions + d.failed, 0),
          last_execution_at = l.started_at,
          last_execution_status = l.status
      from d
      join latest l on l.workflow_id = d.workflow_id
      where w.id = d.workflow_id
        and ((d.total, d.succeeded, d.failed) <> (0, 0, 0)
             or (w.last_execution_at, w.last_execution_status)
                is distinct from (l.started_at, l.status))
      returning 1
    )
    select count(*)::integer into v_workflows_changed from changed;
  end if;

  if p_new_watermark is not null and p_new_watermark > v_watermark then
    update public.providers set exec_watermark = p_new_watermark where id = p_provider_id;
    v_watermark := p_new_watermark;
  end if;

  return jsonb_build_object(
    'inserted', v_inserted,
    'updated', v_updated,
    'workflows_changed', v_workflows_changed,
    'watermark', v_watermark);
end;
$$;
