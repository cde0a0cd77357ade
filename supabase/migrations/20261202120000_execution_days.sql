-- The chart over a week or a month without reading every execution: each finished UTC day's
-- figures (outcomes, exact p50/p95/max duration) are kept per instance and per user (all of the
-- user's instances together), written by the sync after it ingests (`roll_up_execution_days`)
-- and forgotten whenever an execution of that day is inserted, changed or deleted, so a kept day
-- always equals its raw rows. The chart reads kept days and computes only the rest (today, and
-- any day not kept yet) from raw rows. Percentiles cannot be summed, hence the per-user rows.

create table public.execution_days (
  id bigint generated always as identity primary key,
  user_id uuid not null default auth.uid() references auth.users (id) on delete cascade,
  -- Null: every instance of the user together.
  provider_id uuid,
  day date not null,
  succeeded bigint not null default 0 check (succeeded >= 0),
  failed bigint not null default 0 check (failed >= 0),
  other bigint not null default 0 check (other >= 0),
  timed bigint not null default 0 check (timed >= 0),
  p50_ms double precision,
  p95_ms double precision,
  max_ms bigint,
  -- A row may only name an instance of its own owner.
  foreign key (provider_id, user_id) references public.providers (id, user_id) on delete cascade,
  constraint execution_days_once unique nulls not distinct (user_id, provider_id, day)
);

alter table public.execution_days enable row level security;
create policy execution_days_select_own on public.execution_days for select to authenticated
  using ((select auth.uid()) = user_id);
create policy execution_days_insert_own on public.execution_days for insert to authenticated
  with check ((select auth.uid()) = user_id);
create policy execution_days_update_own on public.execution_days for update to authenticated
  using ((select auth.uid()) = user_id) with check ((select auth.uid()) = user_id);
create policy execution_days_delete_own on public.execution_days for delete to authenticated
  using ((select auth.uid()) = user_id);
revoke all on table public.execution_days from anon;
grant select, insert, update, delete on table public.execution_days to authenticated, service_role;

-- The raw figures: executions started in [p_from, p_to) bucketed by `p_bucket` from
-- `p_origin`, narrowed by owner, instance or workflow when given.
create or replace function public.execution_figures(
  p_from timestamptz,
  p_to timestamptz,
  p_bucket interval,
  p_origin timestamptz,
  p_user_id uuid default null,
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
  select date_bin(p_bucket, e.started_at, p_origin) as bucket,
    count(*) filter (where e.status = 'success'),
    count(*) filter (where e.status in ('error', 'crashed')),
    count(*) filter (where e.status not in ('success', 'error', 'crashed')),
    -- Unfinished executions have no duration; count and percentile_cont skip the nulls.
    count(e.duration_ms),
    percentile_cont(0.5) within group (order by e.duration_ms),
    percentile_cont(0.95) within group (order by e.duration_ms),
    max(e.duration_ms)
  from public.executions e
  where e.started_at >= p_from and e.started_at < p_to
    and (p_user_id is null or e.user_id = p_user_id)
    and (p_provider_id is null or e.provider_id = p_provider_id)
    and (p_workflow_id is null or e.workflow_id = p_workflow_id)
  group by 1
$$;

-- The chart: kept days where the range is whole UTC days and not one workflow's, raw rows for
-- the rest (from the first day not kept on). Same figures either way. Planned for each call's
-- own values: a cached generic plan cannot tell the last day's rows from the last month's.
create or replace function public.execution_chart(
  p_since timestamptz,
  p_bucket interval,
  p_provider_id uuid default null,
  p_workflow_id uuid default null
) returns table (bucket timestamptz, succeeded bigint, failed bigint, other bigint,
                 timed bigint, p50_ms double precision, p95_ms double precision,
                 max_ms bigint)
language plpgsql
stable
security invoker
set search_path = ''
set plan_cache_mode = force_custom_plan
as $$
declare
  v_first date := (p_since at time zone 'UTC')::date;
  v_today date := (now() at time zone 'UTC')::date;
  v_raw_from date;
begin
  if p_workflow_id is not null or p_bucket <> interval '1 day'
     or p_since <> (v_first::timestamp at time zone 'UTC') then
    return query select f.* from public.execution_figures(
      p_since, 'infinity', p_bucket, p_since, null, p_provider_id, p_workflow_id) f
      order by 1;
    return;
  end if;
  select coalesce(min(d.day), v_today) into v_raw_from
  from generate_series(v_first, v_today - 1, interval '1 day') as d(day)
  where not exists (
    select 1 from public.execution_days k
    where k.day = d.day::date and k.provider_id is not distinct from p_provider_id);
  return query
    select k.day::timestamp at time zone 'UTC', k.succeeded, k.failed, k.other, k.timed,
      k.p50_ms, k.p95_ms, k.max_ms
    from public.execution_days k
    where k.day >= v_first and k.day < v_raw_from
      and k.provider_id is not distinct from p_provider_id
      and k.succeeded + k.failed + k.other > 0
    union all
    select f.* from public.execution_figures(
      v_raw_from::timestamp at time zone 'UTC', 'infinity', p_bucket, p_since, null,
      p_provider_id, null) f
    order by 1;
end;
$$;

-- Keeps the finished days of the last 31 an instance (and its owner, all instances together)
-- has no kept figures for; answers how many days it wrote. Under RLS: another user's instance
-- is "not found". Called by the sync after it ingests; a day without executions is kept too
-- (as zeros), so the chart need not look at its raw rows again.
create or replace function public.roll_up_execution_days(p_provider_id uuid)
returns integer
language plpgsql
security invoker
set search_path = ''
as $$
declare
  v_user uuid;
  v_today date := (now() at time zone 'UTC')::date;
  v_from date := v_today - 31;
  v_written integer := 0;
  v_count integer;
  v_scope uuid;
begin
  select p.user_id into v_user from public.providers p where p.id = p_provider_id;
  if v_user is null then
    raise exception 'provider % not found', p_provider_id
      using errcode = 'P0002', hint = 'It does not exist or belongs to another user.';
  end if;
  -- The same day kept twice by concurrent syncs would be one unique violation: take turns.
  perform pg_advisory_xact_lock(hashtextextended('flowpulse.execution_days:' || v_user::text, 0));
  foreach v_scope in array array[p_provider_id, null] loop
    with missing as (
      select d.day::date as day
      from generate_series(v_from, v_today - 1, interval '1 day') as d(day)
      where not exists (
        select 1 from public.execution_days k
        where k.user_id = v_user and k.day = d.day::date
          and k.provider_id is not distinct from v_scope)
    ),
    span as (select min(day) as first, max(day) as last from missing),
    figures as (
      select (f.bucket at time zone 'UTC')::date as day, f.*
      from span, public.execution_figures(
        span.first::timestamp at time zone 'UTC', (span.last + 1)::timestamp at time zone 'UTC',
        interval '1 day', span.first::timestamp at time zone 'UTC', v_user, v_scope, null) f
      where span.first is not null
    )
    insert into public.execution_days (user_id, provider_id, day, succeeded, failed, other,
                                       timed, p50_ms, p95_ms, max_ms)
    select v_user, v_scope, m.day, coalesce(f.succeeded, 0), coalesce(f.failed, 0),
      coalesce(f.other, 0), coalesce(f.timed, 0), f.p50_ms, f.p95_ms, f.max_ms
    from missing m left join figures f on f.day = m.day;
    get diagnostics v_count = row_count;
    v_written := v_written + v_count;
  end loop;
  return v_written;
end;
$$;

-- Forgets the kept figures of every day a statement's executions belong to (before and after an
-- update), for their instance and for their owner's all-instances row. An update that leaves
-- start, status and duration alone (failure details, retry links) keeps them. A statement that
-- touches a finished day takes the owner's roll-up lock first, so a roll-up running at the same
-- time either sees its rows or has its result forgotten (today's executions, the usual case,
-- need no lock: today is never kept).
create or replace function public.forget_execution_days()
returns trigger
language plpgsql
security invoker
set search_path = ''
as $$
declare
  v_keys jsonb;
  v_user uuid;
begin
  if tg_op = 'INSERT' then
    select jsonb_agg(distinct jsonb_build_object('user_id', n.user_id,
             'provider_id', n.provider_id, 'day', (n.started_at at time zone 'UTC')::date))
    into v_keys from new_rows n where n.started_at is not null;
  elsif tg_op = 'DELETE' then
    select jsonb_agg(distinct jsonb_build_object('user_id', o.user_id,
             'provider_id', o.provider_id, 'day', (o.started_at at time zone 'UTC')::date))
    into v_keys from old_rows o where o.started_at is not null;
  else
    select jsonb_agg(distinct jsonb_build_object('user_id', x.user_id,
             'provider_id', x.provider_id, 'day', (x.started_at at time zone 'UTC')::date))
    into v_keys
    from new_rows n join old_rows o on o.id = n.id,
      lateral (values (n.user_id, n.provider_id, n.started_at),
                      (o.user_id, o.provider_id, o.started_at)) as x(user_id, provider_id, started_at)
    where x.started_at is not null
      and (n.started_at, n.status, n.duration_ms, n.user_id, n.provider_id)
          is distinct from (o.started_at, o.status, o.duration_ms, o.user_id, o.provider_id);
  end if;
  if v_keys is null then
    return null;
  end if;
  for v_user in
    select distinct k.user_id from jsonb_to_recordset(v_keys) as k(user_id uuid, day date)
    where k.day < (now() at time zone 'UTC')::date
    order by 1
  loop
    perform pg_advisory_xact_lock(hashtextextended('flowpulse.execution_days:' || v_user::text, 0));
  end loop;
  delete from public.execution_days d
  using jsonb_to_recordset(v_keys) as t(user_id uuid, provider_id uuid, day date)
  where d.user_id = t.user_id and d.day = t.day
    and (d.provider_id = t.provider_id or d.provider_id is null);
  return null;
end;
$$;

create trigger executions_forget_days_insert after insert on public.executions
  referencing new table as new_rows
  for each statement execute function public.forget_execution_days();
create trigger executions_forget_days_update after update on public.executions
  referencing new table as new_rows old table as old_rows
  for each statement execute function public.forget_execution_days();
create trigger executions_forget_days_delete after delete on public.executions
  referencing old table as old_rows
  for each statement execute function public.forget_execution_days();

revoke execute on function
  public.execution_figures(timestamptz, timestamptz, interval, timestamptz, uuid, uuid, uuid),
  public.roll_up_execution_days(uuid)
  from public, anon;
grant execute on function
  public.execution_figures(timestamptz, timestamptz, interval, timestamptz, uuid, uuid, uuid),
  public.roll_up_execution_days(uuid)
  to authenticated, service_role;
