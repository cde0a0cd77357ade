-- Kept hours beside kept days: the dashboard's default view (the last 24 hours, by hour)
-- computed its percentiles over the day's raw rows on every render (70–140 ms at a million
-- executions). Each finished UTC hour of the last 24 and each finished UTC day of the last 31
-- now keep their exact figures per instance and per user, in one table of periods, written by
-- the sync after it ingests and forgotten when an execution of that hour or day is inserted,
-- changed or deleted. `execution_days` held only derived figures: it goes, and the next sync
-- keeps its days again.

drop trigger executions_forget_days_insert on public.executions;
drop trigger executions_forget_days_update on public.executions;
drop trigger executions_forget_days_delete on public.executions;
drop function public.forget_execution_days();
drop function public.roll_up_execution_days(uuid);
drop table public.execution_days;

create table public.execution_periods (
  id bigint generated always as identity primary key,
  user_id uuid not null default auth.uid() references auth.users (id) on delete cascade,
  -- Null: every instance of the user together.
  provider_id uuid,
  width interval not null check (width in ('1 hour', '1 day')),
  -- A whole UTC hour or day.
  starts_at timestamptz not null
    check (starts_at = date_bin(width, starts_at, timestamptz '1970-01-01 00:00:00+00')),
  succeeded bigint not null default 0 check (succeeded >= 0),
  failed bigint not null default 0 check (failed >= 0),
  other bigint not null default 0 check (other >= 0),
  timed bigint not null default 0 check (timed >= 0),
  p50_ms double precision,
  p95_ms double precision,
  max_ms bigint,
  -- A row may only name an instance of its own owner.
  foreign key (provider_id, user_id) references public.providers (id, user_id) on delete cascade,
  constraint execution_periods_once unique nulls not distinct (user_id, provider_id, width, starts_at)
);

alter table public.execution_periods enable row level security;
create policy execution_periods_select_own on public.execution_periods for select to authenticated
  using ((select auth.uid()) = user_id);
create policy execution_periods_insert_own on public.execution_periods for insert to authenticated
  with check ((select auth.uid()) = user_id);
create policy execution_periods_update_own on public.execution_periods for update to authenticated
  using ((select auth.uid()) = user_id) with check ((select auth.uid()) = user_id);
create policy execution_periods_delete_own on public.execution_periods for delete to authenticated
  using ((select auth.uid()) = user_id);
revoke all on table public.execution_periods from anon;
grant select, insert, update, delete on table public.execution_periods to authenticated, service_role;

-- The chart: kept periods where the buckets are whole UTC hours or days and not one workflow's,
-- raw rows for the rest (from the first bucket not kept on). Same figures either way. Planned
-- for each call's own values: a cached generic plan cannot tell the last day's rows from the
-- last month's. In UTC, so a day is always 24 hours.
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
set timezone = 'UTC'
as $$
declare
  v_epoch constant timestamptz := timestamptz '1970-01-01 00:00:00+00';
  v_current timestamptz;
  v_raw_from timestamptz;
begin
  if p_workflow_id is not null or p_bucket not in (interval '1 hour', interval '1 day')
     or p_since <> date_bin(p_bucket, p_since, v_epoch) then
    return query select f.* from public.execution_figures(
      p_since, 'infinity', p_bucket, p_since, null, p_provider_id, p_workflow_id) f
      order by 1;
    return;
  end if;
  v_current := date_bin(p_bucket, now(), v_epoch);
  select coalesce(min(s.at), v_current) into v_raw_from
  from generate_series(p_since, v_current - p_bucket, p_bucket) as s(at)
  where not exists (
    select 1 from public.execution_periods k
    where k.width = p_bucket and k.starts_at = s.at
      and k.provider_id is not distinct from p_provider_id);
  return query
    select k.starts_at, k.succeeded, k.failed, k.other, k.timed, k.p50_ms, k.p95_ms, k.max_ms
    from public.execution_periods k
    where k.width = p_bucket and k.starts_at >= p_since and k.starts_at < v_raw_from
      and k.provider_id is not distinct from p_provider_id
      and k.succeeded + k.failed + k.other > 0
    union all
    select f.* from public.execution_figures(
      v_raw_from, 'infinity', p_bucket, p_since, null, p_provider_id, null) f
    order by 1;
end;
$$;

-- Keeps the finished hours of the last 24 and the finished days of the last 31 that an
-- instance (and its owner, all instances together) has no kept figures for, forgets hours
-- older than two days (no chart reads them), and answers how many periods it wrote. Under RLS:
-- another user's instance is "not found". Called by the sync after it ingests; a period without
-- executions is kept too (as zeros), so the chart need not look at its raw rows again.
create or replace function public.roll_up_execution_periods(p_provider_id uuid)
returns integer
language plpgsql
security invoker
set search_path = ''
set timezone = 'UTC'
as $$
declare
  v_epoch constant timestamptz := timestamptz '1970-01-01 00:00:00+00';
  v_user uuid;
  v_width interval;
  v_current timestamptz;
  v_from timestamptz;
  v_written integer := 0;
  v_count integer;
  v_scope uuid;
begin
  select p.user_id into v_user from public.providers p where p.id = p_provider_id;
  if v_user is null then
    raise exception 'provider % not found', p_provider_id
      using errcode = 'P0002', hint = 'It does not exist or belongs to another user.';
  end if;
  -- The same period kept twice by concurrent syncs would be one unique violation: take turns.
  perform pg_advisory_xact_lock(hashtextextended('flowpulse.execution_periods:' || v_user::text, 0));
  delete from public.execution_periods k
  where k.user_id = v_user and k.width = interval '1 hour'
    and k.starts_at < now() - interval '2 days';
  foreach v_width in array array[interval '1 hour', interval '1 day'] loop
    v_current := date_bin(v_width, now(), v_epoch);
    v_from := v_current - case when v_width = interval '1 hour' then interval '24 hours'
                               else interval '31 days' end;
    foreach v_scope in array array[p_provider_id, null] loop
      with missing as (
        select s.at
        from generate_series(v_from, v_current - v_width, v_width) as s(at)
        where not exists (
          select 1 from public.execution_periods k
          where k.user_id = v_user and k.width = v_width and k.starts_at = s.at
            and k.provider_id is not distinct from v_scope)
      ),
      span as (select min(at) as first, max(at) as last from missing),
      figures as (
        select f.*
        from span, public.execution_figures(
          span.first, span.last + v_width, v_width, span.first, v_user, v_scope, null) f
        where span.first is not null
      )
      insert into public.execution_periods (user_id, provider_id, width, starts_at, succeeded,
                                            failed, other, timed, p50_ms, p95_ms, max_ms)
      select v_user, v_scope, v_width, m.at, coalesce(f.succeeded, 0), coalesce(f.failed, 0),
        coalesce(f.other, 0), coalesce(f.timed, 0), f.p50_ms, f.p95_ms, f.max_ms
      from missing m left join figures f on f.bucket = m.at;
      get diagnostics v_count = row_count;
      v_written := v_written + v_count;
    end loop;
  end loop;
  return v_written;
end;
$$;

-- Forgets the kept figures of every hour and day a statement's executions belong to (before
-- and after an update), for their instance and for their owner's all-instances row. An update
-- that leaves start, status and duration alone (failure details, retry links) keeps them. A
-- statement that touches a finished hour takes the owner's roll-up lock first, so a roll-up
-- running at the same time either sees its rows or has its result forgotten (executions of the
-- current hour need no lock: it is never kept).
create or replace function public.forget_execution_periods()
returns trigger
language plpgsql
security invoker
set search_path = ''
set timezone = 'UTC'
as $$
declare
  v_epoch constant timestamptz := timestamptz '1970-01-01 00:00:00+00';
  v_keys jsonb;
  v_user uuid;
begin
  if tg_op = 'INSERT' then
    select jsonb_agg(distinct jsonb_build_object('user_id', n.user_id,
             'provider_id', n.provider_id, 'hour', date_bin('1 hour', n.started_at, v_epoch)))
    into v_keys from new_rows n where n.started_at is not null;
  elsif tg_op = 'DELETE' then
    select jsonb_agg(distinct jsonb_build_object('user_id', o.user_id,
             'provider_id', o.provider_id, 'hour', date_bin('1 hour', o.started_at, v_epoch)))
    into v_keys from old_rows o where o.started_at is not null;
  else
    select jsonb_agg(distinct jsonb_build_object('user_id', x.user_id,
             'provider_id', x.provider_id, 'hour', date_bin('1 hour', x.started_at, v_epoch)))
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
    select distinct k.user_id from jsonb_to_recordset(v_keys) as k(user_id uuid, hour timestamptz)
    where k.hour < date_bin('1 hour', now(), v_epoch)
    order by 1
  loop
    perform pg_advisory_xact_lock(hashtextextended('flowpulse.execution_periods:' || v_user::text, 0));
  end loop;
  delete from public.execution_periods d
  using jsonb_to_recordset(v_keys) as t(user_id uuid, provider_id uuid, hour timestamptz)
  where d.user_id = t.user_id
    and (d.provider_id = t.provider_id or d.provider_id is null)
    and ((d.width = interval '1 hour' and d.starts_at = t.hour)
         or (d.width = interval '1 day' and d.starts_at = date_bin('1 day', t.hour, v_epoch)));
  return null;
end;
$$;

create trigger executions_forget_periods_insert after insert on public.executions
  referencing new table as new_rows
  for each statement execute function public.forget_execution_periods();
create trigger executions_forget_periods_update after update on public.executions
  referencing new table as new_rows old table as old_rows
  for each statement execute function public.forget_execution_periods();
create trigger executions_forget_periods_delete after delete on public.executions
  referencing old table as old_rows
  for each statement execute function public.forget_execution_periods();

revoke execute on function public.roll_up_execution_periods(uuid) from public, anon;
grant execute on function public.roll_up_execution_periods(uuid) to authenticated, service_role;
