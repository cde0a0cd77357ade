-- The dashboard's workflow table, paged, sorted and searched in the database: 10,000 workflows
-- cost what one page of them costs. Durations (p50/p95/max in the chosen period) are computed
-- for the page's rows only, except when the table is sorted by them. Totals and the filter
-- choices are aggregates, so the app never reads every workflow row. Invoker's rights: RLS
-- limits every row to the caller's own.

-- A workflow's executions in a period are read by executions_workflow_started_idx.

create or replace function public.workflow_table(
  p_since timestamptz,
  p_provider_id uuid default null,
  p_search text default null,
  p_node text default null,
  p_credential text default null,
  p_sort text default 'name',
  p_descending boolean default false,
  p_limit integer default 100,
  p_offset integer default 0
) returns table (
  id uuid, provider_id uuid, name text, active boolean, execution_count bigint,
  successful_executions bigint, failed_executions bigint, last_execution_at timestamptz,
  last_execution_status text, last_sync_at timestamptz, origin text,
  health_status text, health_message text,
  runs bigint, p50_ms double precision, p95_ms double precision, max_ms bigint,
  total bigint)
language plpgsql
stable
security invoker
set search_path = ''
as $$
declare
  -- A fixed list of sort expressions: the column name from the URL never reaches the SQL.
  v_key text := case p_sort
    when 'name' then 'lower(m.name)'
    when 'executions' then 'm.execution_count'
    when 'successful' then 'm.successful_executions'
    when 'failed' then 'm.failed_executions'
    when 'last-execution' then 'm.last_execution_at'
    when 'last-sync' then 'm.last_sync_at'
    when 'duration' then '(select percentile_cont(0.95) within group (order by e.duration_ms)
      from public.executions e
      where e.workflow_id = m.id and e.started_at >= $1 and e.duration_ms is not null)'
  end;
  -- Like the table always did: a missing value is the smallest.
  v_direction text := case when p_descending then 'desc nulls last' else 'asc nulls first' end;
begin
  if v_key is null then
    raise exception 'the table cannot be sorted by %', p_sort using errcode = '22023';
  end if;
  return query execute format($query$
    with page as (
      select m.*, %1$s as sort_key, count(*) over () as total
      from public.mvp_workflows m
      where not m.archived
        and ($2::uuid is null or m.provider_id = $2)
        and ($3::text is null or strpos(lower(m.name), lower($3)) > 0)
        and ($4::text is null or m.node_types @> array[$4])
        and ($5::text is null or m.required_credential_types @> array[$5])
      order by sort_key %2$s, lower(m.name), m.id
      limit greatest($6, 0) offset greatest($7, 0)
    )
    select p.id, p.provider_id, p.name, p.active, p.execution_count,
      p.successful_executions, p.failed_executions, p.last_execution_at,
      p.last_execution_status, p.last_sync_at, p.origin,
      h.status, h.findings -> 0 ->> 'message',
      d.runs, d.p50_ms, d.p95_ms, d.max_ms,
      p.total
    from page p
    left join public.workflow_health h on h.workflow_id = p.id
    left join lateral (
      select count(*) as runs,
        percentile_cont(0.5) within group (order by e.duration_ms) as p50_ms,
        percentile_cont(0.95) within group (order by e.duration_ms) as p95_ms,
        max(e.duration_ms) as max_ms
      from public.executions e
      where e.workflow_id = p.id and e.started_at >= $1 and e.duration_ms is not null
    ) d on d.runs > 0
    order by p.sort_key %2$s, lower(p.name), p.id
  $query$, v_key, v_direction)
  using p_since, p_provider_id, p_search, p_node, p_credential, p_limit, p_offset;
end;
$$;

-- The dashboard's headline numbers over the (non-archived) workflows of one or all instances.
create or replace function public.workflow_totals(p_provider_id uuid default null)
returns table (workflows bigint, executions bigint, successful bigint)
language sql
stable
security invoker
set search_path = ''
as $$
  select count(*), coalesce(sum(w.execution_count), 0)::bigint,
    coalesce(sum(w.successful_executions), 0)::bigint
  from public.mvp_workflows w
  where not w.archived and (p_provider_id is null or w.provider_id = p_provider_id)
$$;

-- The table filters' choices: every node type and credential type the workflows use.
create or replace function public.workflow_filter_choices(p_provider_id uuid default null)
returns table (node_types text[], credential_types text[])
language sql
stable
security invoker
set search_path = ''
as $$
  select
    array(select distinct t from public.mvp_workflows w, unnest(w.node_types) t
          where not w.archived and (p_provider_id is null or w.provider_id = p_provider_id)
          order by t),
    array(select distinct t from public.mvp_workflows w, unnest(w.required_credential_types) t
          where not w.archived and (p_provider_id is null or w.provider_id = p_provider_id)
          order by t)
$$;

revoke execute on function
  public.workflow_table(timestamptz, uuid, text, text, text, text, boolean, integer, integer),
  public.workflow_totals(uuid), public.workflow_filter_choices(uuid)
  from public, anon;
grant execute on function
  public.workflow_table(timestamptz, uuid, text, text, text, text, boolean, integer, integer),
  public.workflow_totals(uuid), public.workflow_filter_choices(uuid)
  to authenticated, service_role;
