-- Functions the sync engine calls through PostgREST (`/rpc/<name>`), monitoring views and the
-- realtime change feed. Every function is SECURITY INVOKER: it runs with the caller's JWT role,
-- so row-level security scopes it exactly like a plain table request.

-- Counter rules (mirrored by flowpulse_core::counters, tested against each other):
-- execution_count = final states (success, error, crashed, canceled); successful = success;
-- failed = error + crashed; running/waiting/new/unknown are not counted until they finish.
-- Recomputed from stored history, so applying the same data twice changes nothing.
create or replace function public.recompute_workflow_counters(p_workflow_ids uuid[])
returns integer
language sql
security invoker
set search_path = ''
as $$
  with stats as (
    select w.id as workflow_id,
      count(e.id) filter (where e.status in ('success', 'error', 'crashed', 'canceled')) as total,
      count(e.id) filter (where e.status = 'success') as succeeded,
      count(e.id) filter (where e.status in ('error', 'crashed')) as failed,
      (array_agg(e.started_at order by e.n8n_execution_id desc))[1] as last_at,
      (array_agg(e.status order by e.n8n_execution_id desc))[1] as last_status
    from public.mvp_workflows w
    left join public.executions e on e.workflow_id = w.id
    where w.id = any (p_workflow_ids)
    group by w.id
  ),
  changed as (
    update public.mvp_workflows w
    set execution_count = s.total,
        successful_executions = s.succeeded,
        failed_executions = s.failed,
        last_execution_at = s.last_at,
        last_execution_status = s.last_status
    from stats s
    where w.id = s.workflow_id
      -- Unchanged rows are not rewritten: no churn in updated_at or the realtime feed.
      and (w.execution_count, w.successful_executions, w.failed_executions,
           w.last_execution_at, w.last_execution_status)
        is distinct from (s.total, s.succeeded, s.failed, s.last_at, s.last_status)
    returning 1
  )
  select count(*)::integer from changed
$$;

-- One page of executions from one provider, in one transaction: upsert the executions, update
-- the counters of the workflows they touched, and (optionally) advance the provider watermark.
-- p_rows: [{n8n_execution_id, n8n_workflow_id, status, mode, started_at, stopped_at,
--           duration_ms, retry_of, error_message}] (flowpulse_core::rows::ExecutionIngestRow).
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
  v_workflow_ids uuid[];
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
      error_message text)
    order by r.n8n_execution_id
  ),
  upserted as (
    insert into public.executions as e (
      user_id, provider_id, workflow_id, n8n_workflow_id, n8n_execution_id, status, mode,
      started_at, stopped_at, duration_ms, retry_of, error_message)
    select v_user_id, p_provider_id, w.id, i.n8n_workflow_id, i.n8n_execution_id, i.status,
      coalesce(i.mode, 'unknown'), i.started_at, i.stopped_at, i.duration_ms, i.retry_of,
      i.error_message
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
          error_message = excluded.error_message
      where (e.workflow_id, e.status, e.mode, e.started_at, e.stopped_at, e.duration_ms,
             e.retry_of, e.error_message)
          is distinct from (coalesce(excluded.workflow_id, e.workflow_id), excluded.status,
             excluded.mode, excluded.started_at, excluded.stopped_at, excluded.duration_ms,
             excluded.retry_of, excluded.error_message)
        -- A stale reader (a slower concurrent run) never turns a finished execution back
        -- into a running one.
        and not (e.status in ('success', 'error', 'crashed', 'canceled')
                 and excluded.status not in ('success', 'error', 'crashed', 'canceled'))
    returning e.workflow_id, (xmax = 0) as was_inserted
  )
  select count(*) filter (where was_inserted),
         count(*) filter (where not was_inserted),
         array_agg(distinct workflow_id) filter (where workflow_id is not null)
    into v_inserted, v_updated, v_workflow_ids
  from upserted;

  if v_workflow_ids is not null then
    v_workflows_changed := public.recompute_workflow_counters(v_workflow_ids);
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

-- Executions of one provider that the last sync stored unfinished; n8n's list omits running
-- executions, so the engine re-fetches these by id.
create or replace function public.unfinished_executions(p_provider_id uuid)
returns setof bigint
language sql
stable
security invoker
set search_path = ''
as $$
  select n8n_execution_id from public.executions
  where provider_id = p_provider_id and status in ('new', 'running', 'waiting')
  order by n8n_execution_id
$$;

-- Cleanup: archive (never delete) workflows no longer listed by n8n, keeping their history.
create or replace function public.archive_missing_workflows(
  p_provider_id uuid,
  p_present_n8n_ids text[],
  p_dry_run boolean default true
) returns table (id uuid, n8n_workflow_id text, name text)
language plpgsql
security invoker
set search_path = ''
as $$
begin
  if p_dry_run then
    return query
      select w.id, w.n8n_workflow_id, w.name from public.mvp_workflows w
      where w.provider_id = p_provider_id and not w.archived
        and not (w.n8n_workflow_id = any (coalesce(p_present_n8n_ids, '{}')));
  else
    return query
      update public.mvp_workflows w set archived = true, deleted_at = now()
      where w.provider_id = p_provider_id and not w.archived
        and not (w.n8n_workflow_id = any (coalesce(p_present_n8n_ids, '{}')))
      returning w.id, w.n8n_workflow_id, w.name;
  end if;
end;
$$;

-- Cleanup: retention. Counts what is (or would be) removed; counters follow the stored history.
create or replace function public.prune_history(
  p_sync_logs_before timestamptz,
  p_executions_before timestamptz,
  p_dry_run boolean default true
) returns jsonb
language plpgsql
security invoker
set search_path = ''
as $$
declare
  v_logs bigint;
  v_execs bigint;
  v_workflow_ids uuid[];
begin
  if p_dry_run then
    select count(*) into v_logs from public.sync_logs
      where started_at < p_sync_logs_before and status <> 'running';
    select count(*) into v_execs from public.executions
      where started_at < p_executions_before;
  else
    with gone as (
      delete from public.sync_logs
      where started_at < p_sync_logs_before and status <> 'running' returning 1)
    select count(*) into v_logs from gone;
    with gone as (
      delete from public.executions where started_at < p_executions_before
      returning workflow_id)
    select count(*), array_agg(distinct workflow_id) filter (where workflow_id is not null)
      into v_execs, v_workflow_ids from gone;
    if v_workflow_ids is not null then
      perform public.recompute_workflow_counters(v_workflow_ids);
    end if;
  end if;
  return jsonb_build_object('sync_logs', v_logs, 'executions', v_execs, 'dry_run', p_dry_run);
end;
$$;

-- Monitoring: success rate and average duration per provider and sync type since a moment.
create or replace function public.sync_stats(p_since timestamptz default now() - interval '24 hours')
returns table (
  provider_id uuid, sync_type text, runs bigint, successful_runs bigint, failed_runs bigint,
  success_rate numeric, avg_duration_ms bigint, last_run_at timestamptz)
language sql
stable
security invoker
set search_path = ''
as $$
  select l.provider_id, l.sync_type, count(*),
    count(*) filter (where l.status = 'success'),
    count(*) filter (where l.status in ('error', 'partial')),
    round(100.0 * count(*) filter (where l.status = 'success')
      / nullif(count(*) filter (where l.status <> 'running'), 0), 1),
    round(avg(l.duration_ms))::bigint,
    max(l.started_at)
  from public.sync_logs l
  where l.started_at >= p_since
  group by l.provider_id, l.sync_type
$$;

create view public.sync_stats_24h with (security_invoker = true) as
  select * from public.sync_stats(now() - interval '24 hours');

-- Realtime: ids only, never row data; subscribers refetch through RLS.
create or replace function public.notify_flowpulse_change() returns trigger
language plpgsql
set search_path = ''
as $$
declare
  v_row record;
begin
  if tg_op = 'DELETE' then v_row := old; else v_row := new; end if;
  perform pg_notify('flowpulse_changes', json_build_object(
    'table', tg_table_name, 'op', lower(tg_op), 'id', v_row.id, 'user_id', v_row.user_id)::text);
  return null;
end;
$$;

create trigger providers_notify_change after insert or update or delete on public.providers
  for each row execute function public.notify_flowpulse_change();
create trigger mvp_workflows_notify_change after insert or update or delete on public.mvp_workflows
  for each row execute function public.notify_flowpulse_change();
create trigger sync_logs_notify_change after insert or update or delete on public.sync_logs
  for each row execute function public.notify_flowpulse_change();

do $$
declare
  t text;
begin
  if exists (select 1 from pg_publication where pubname = 'supabase_realtime') then
    foreach t in array array['providers', 'mvp_workflows', 'sync_logs'] loop
      if not exists (select 1 from pg_publication_tables
                     where pubname = 'supabase_realtime' and schemaname = 'public'
                       and tablename = t) then
        execute format('alter publication supabase_realtime add table public.%I', t);
      end if;
    end loop;
  end if;
end
$$;

-- Supabase grants EXECUTE on new functions to anon by default: only signed-in roles may call these.
revoke execute on function public.recompute_workflow_counters(uuid[]),
  public.ingest_executions(uuid, jsonb, bigint), public.unfinished_executions(uuid),
  public.archive_missing_workflows(uuid, text[], boolean),
  public.prune_history(timestamptz, timestamptz, boolean), public.sync_stats(timestamptz)
  from public, anon;
grant execute on function public.recompute_workflow_counters(uuid[]),
  public.ingest_executions(uuid, jsonb, bigint), public.unfinished_executions(uuid),
  public.archive_missing_workflows(uuid, text[], boolean),
  public.prune_history(timestamptz, timestamptz, boolean), public.sync_stats(timestamptz)
  to authenticated, service_role;
revoke all on public.sync_stats_24h from anon, public;
grant select on public.sync_stats_24h to authenticated, service_role;
