-- Insight: why executions failed, how long workflows take, what stopped running, and alerts
-- that say so once. Every table is the user's own (RLS) and every reference stays on the same
-- owner (composite foreign keys).

-- Why an execution failed, fetched once per failed execution (n8n's run data itself is never
-- stored: only the error's message, description and the failing node, redacted).
alter table public.executions
  add column error_node text check (error_node is null or length(error_node) <= 200),
  add column error_node_type text check (error_node_type is null or length(error_node_type) <= 200),
  add column error_description text
    check (error_description is null or length(error_description) <= 2000),
  -- When the details were looked for (null: not yet; set even when n8n had none).
  add column error_fetched_at timestamptz,
  -- The successful retry of this execution, as n8n reports it.
  add column retry_success_id bigint,
  -- When a waiting execution resumes (a Wait node's time; year 3000 when it waits for a call).
  add column wait_till timestamptz;

create index executions_failed_unfetched_idx on public.executions (provider_id, n8n_execution_id desc)
  where status in ('error', 'crashed') and error_fetched_at is null;
-- The health check counts each workflow's runs of the last 8 days.
create index executions_workflow_started_idx on public.executions (workflow_id, started_at desc);
create index executions_retry_of_idx on public.executions (provider_id, retry_of)
  where retry_of is not null;

-- `ingest_executions` learns the new columns in the counter-deltas migration that follows.

-- Failures grouped by workflow and failing node since a moment: how many, first and last seen,
-- and the last 24 hours against the 24 before (the trend).
create or replace function public.failure_groups(p_since timestamptz)
returns table (
  workflow_id uuid, provider_id uuid, error_node text, error_node_type text, failures bigint,
  first_seen timestamptz, last_seen timestamptz, last_day bigint, day_before bigint,
  last_message text)
language sql
stable
security invoker
set search_path = ''
as $$
  select e.workflow_id, e.provider_id, e.error_node, max(e.error_node_type), count(*),
    min(e.started_at), max(e.started_at),
    count(*) filter (where e.started_at >= now() - interval '1 day'),
    count(*) filter (where e.started_at >= now() - interval '2 days'
                       and e.started_at < now() - interval '1 day'),
    (array_agg(e.error_message order by e.started_at desc nulls last)
       filter (where e.error_message is not null))[1]
  from public.executions e
  where e.status in ('error', 'crashed') and e.started_at >= p_since
  group by e.workflow_id, e.provider_id, e.error_node
$$;

-- Durations per workflow since a moment, computed where the rows are.
create or replace function public.workflow_durations(p_since timestamptz)
returns table (workflow_id uuid, runs bigint, p50_ms double precision,
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
  group by e.workflow_id
$$;

-- Durations over time for one workflow (or all the caller's), in buckets.
create or replace function public.duration_buckets(
  p_since timestamptz, p_bucket interval, p_workflow_id uuid default null)
returns table (bucket timestamptz, runs bigint, p50_ms double precision,
               p95_ms double precision, max_ms bigint)
language sql
stable
security invoker
set search_path = ''
as $$
  select date_bin(p_bucket, e.started_at, p_since) as bucket, count(*),
    percentile_cont(0.5) within group (order by e.duration_ms),
    percentile_cont(0.95) within group (order by e.duration_ms),
    max(e.duration_ms)
  from public.executions e
  where e.duration_ms is not null and e.started_at >= p_since
    and (p_workflow_id is null or e.workflow_id = p_workflow_id)
  group by 1
  order by 1
$$;

-- The latest health verdict of each workflow (written by the sync, read by the dashboard).
create table public.workflow_health (
  workflow_id uuid primary key,
  provider_id uuid not null,
  user_id uuid not null default auth.uid() references auth.users (id) on delete cascade,
  status text not null check (status in ('ok', 'warning', 'critical', 'unknown')),
  findings jsonb not null default '[]'::jsonb check (jsonb_typeof(findings) = 'array'),
  evaluated_at timestamptz not null default now(),
  foreign key (workflow_id, provider_id, user_id)
    references public.mvp_workflows (id, provider_id, user_id) on delete cascade
);

-- What the health check needs of each workflow of one instance, in one round trip: the
-- definition (its schedule), the last scheduled run, what is still unfinished and the finished
-- runs of the last day and the week before (manual test runs left out: they say nothing about
-- whether production is failing). Invoker's rights: a user only ever reads their own rows.
create or replace function public.workflow_health_inputs(
  p_provider_id uuid,
  p_now timestamptz default now()
) returns table (
  workflow_id uuid,
  active boolean,
  n8n_updated_at timestamptz,
  definition jsonb,
  last_scheduled_run timestamptz,
  unfinished jsonb,
  day_succeeded bigint,
  day_failed bigint,
  week_succeeded bigint,
  week_failed bigint
)
language sql
stable
security invoker
set search_path = ''
as $$
  select w.id,
    w.active,
    w.n8n_updated_at,
    w.definition,
    (select max(e.started_at) from public.executions e
      where e.workflow_id = w.id and e.mode = 'trigger'),
    coalesce((select jsonb_agg(jsonb_build_object(
                'n8n_execution_id', u.n8n_execution_id, 'status', u.status,
                'started_at', u.started_at, 'wait_till', u.wait_till)
              order by u.n8n_execution_id)
              from (select e.n8n_execution_id, e.status, e.started_at, e.wait_till
                    from public.executions e
                    where e.workflow_id = w.id and e.status in ('new', 'running', 'waiting')
                    order by e.n8n_execution_id
                    limit 100) u), '[]'::jsonb),
    r.day_succeeded, r.day_failed, r.week_succeeded, r.week_failed
  from public.mvp_workflows w
  cross join lateral (
    select
      count(*) filter (where e.status = 'success' and e.started_at >= p_now - interval '1 day'),
      count(*) filter (where e.status in ('error', 'crashed')
                         and e.started_at >= p_now - interval '1 day'),
      count(*) filter (where e.status = 'success' and e.started_at < p_now - interval '1 day'),
      count(*) filter (where e.status in ('error', 'crashed')
                         and e.started_at < p_now - interval '1 day')
    from public.executions e
    where e.workflow_id = w.id and e.mode <> 'manual'
      and e.started_at >= p_now - interval '8 days' and e.started_at < p_now
  ) as r(day_succeeded, day_failed, week_succeeded, week_failed)
  where w.provider_id = p_provider_id and not w.archived and w.deleted_at is null
  order by w.id
$$;

-- Where alerts go. The target (a webhook URL or an email address) is a secret: encrypted bound
-- to the row and kind, shown only as a hint.
create table public.alert_channels (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null default auth.uid() references auth.users (id) on delete cascade,
  name text not null check (length(btrim(name)) between 1 and 100),
  kind text not null check (kind in ('webhook', 'slack', 'discord', 'email')),
  target_ciphertext text not null,
  hint text not null default '' check (length(hint) <= 60),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (user_id, name),
  unique (id, user_id)
);

-- Target of an alert rule's workflow key (a rule scoped to one of the user's workflows).
alter table public.mvp_workflows
  add constraint mvp_workflows_id_user_key unique (id, user_id);

-- What to be told about.
create table public.alert_rules (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null default auth.uid() references auth.users (id) on delete cascade,
  name text not null check (length(btrim(name)) between 1 and 100),
  kind text not null
    check (kind in ('failure', 'failure_rate', 'missed_runs', 'stuck', 'unreachable')),
  -- Limit to one instance and/or one workflow; none = everything of the user's.
  provider_id uuid,
  workflow_id uuid,
  -- For failure_rate: the share of failed runs (0-100) over the last 24 hours.
  threshold numeric check (threshold is null or threshold between 0 and 100),
  enabled boolean not null default true,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (id, user_id),
  foreign key (provider_id, user_id) references public.providers (id, user_id) on delete cascade,
  foreign key (workflow_id, user_id) references public.mvp_workflows (id, user_id)
    on delete cascade
);

create table public.alert_rule_channels (
  rule_id uuid not null,
  channel_id uuid not null,
  user_id uuid not null default auth.uid() references auth.users (id) on delete cascade,
  primary key (rule_id, channel_id),
  foreign key (rule_id, user_id) references public.alert_rules (id, user_id) on delete cascade,
  foreign key (channel_id, user_id) references public.alert_channels (id, user_id)
    on delete cascade
);

-- An alert: opened once when its rule's condition starts for a subject (a workflow or an
-- instance), resolved once when it clears.
create table public.alerts (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null default auth.uid() references auth.users (id) on delete cascade,
  rule_id uuid not null,
  -- What it is about: `workflow:<uuid>` or `provider:<uuid>`.
  subject text not null check (length(subject) <= 200),
  subject_label text not null default '' check (length(subject_label) <= 300),
  state text not null default 'open' check (state in ('open', 'resolved')),
  message text not null check (length(message) between 1 and 2000),
  details jsonb not null default '{}'::jsonb,
  opened_at timestamptz not null default now(),
  resolved_at timestamptz,
  updated_at timestamptz not null default now(),
  unique (id, user_id),
  foreign key (rule_id, user_id) references public.alert_rules (id, user_id) on delete cascade
);

-- Two syncs evaluating at once open one alert, not two.
create unique index alerts_one_open_per_subject on public.alerts (rule_id, subject)
  where state = 'open';

-- Each notification of an alert to a channel, retried with backoff until delivered or given up.
create table public.alert_deliveries (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null default auth.uid() references auth.users (id) on delete cascade,
  alert_id uuid,
  channel_id uuid not null,
  event text not null check (event in ('opened', 'resolved', 'test')),
  status text not null default 'pending' check (status in ('pending', 'delivered', 'failed')),
  attempts integer not null default 0 check (attempts >= 0),
  next_attempt_at timestamptz not null default now(),
  last_error text check (last_error is null or length(last_error) <= 500),
  payload jsonb not null default '{}'::jsonb,
  delivered_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  foreign key (alert_id, user_id) references public.alerts (id, user_id) on delete cascade,
  foreign key (channel_id, user_id) references public.alert_channels (id, user_id)
    on delete cascade
);

create index workflow_health_user_idx on public.workflow_health (user_id);
create index alert_rules_user_idx on public.alert_rules (user_id) where enabled;
create index alerts_user_idx on public.alerts (user_id, opened_at desc);
create index alert_deliveries_due_idx on public.alert_deliveries (next_attempt_at)
  where status = 'pending';

create trigger alert_channels_set_updated_at before update on public.alert_channels
  for each row execute function public.set_updated_at();
create trigger alert_rules_set_updated_at before update on public.alert_rules
  for each row execute function public.set_updated_at();
create trigger alerts_set_updated_at before update on public.alerts
  for each row execute function public.set_updated_at();
create trigger alert_deliveries_set_updated_at before update on public.alert_deliveries
  for each row execute function public.set_updated_at();

-- A channel's target is only ever stored bound, and its id never changes.
create or replace function public.guard_channel_target() returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if tg_op = 'UPDATE' and new.id is distinct from old.id then
    raise exception 'a channel''s id cannot change' using errcode = 'check_violation';
  end if;
  if (tg_op = 'INSERT' or new.target_ciphertext is distinct from old.target_ciphertext)
     and new.target_ciphertext !~ '^f2\.[0-9]{1,3}:[A-Za-z0-9_-]+$' then
    raise exception 'a channel target must be stored in the current encrypted format'
      using errcode = 'check_violation';
  end if;
  if tg_op = 'UPDATE' and new.kind is distinct from old.kind
     and new.target_ciphertext is not distinct from old.target_ciphertext then
    raise exception 'changing a channel''s kind needs its target again'
      using errcode = 'check_violation';
  end if;
  return new;
end;
$$;

create trigger alert_channels_guard_target before insert or update on public.alert_channels
  for each row execute function public.guard_channel_target();

do $$
declare
  t text;
begin
  foreach t in array array['workflow_health', 'alert_channels', 'alert_rules',
                           'alert_rule_channels', 'alerts', 'alert_deliveries'] loop
    execute format('alter table public.%I enable row level security', t);
    execute format(
      'create policy %I on public.%I for select to authenticated using ((select auth.uid()) = user_id)',
      t || '_select_own', t);
    execute format(
      'create policy %I on public.%I for insert to authenticated with check ((select auth.uid()) = user_id)',
      t || '_insert_own', t);
    execute format(
      'create policy %I on public.%I for update to authenticated using ((select auth.uid()) = user_id) with check ((select auth.uid()) = user_id)',
      t || '_update_own', t);
    execute format(
      'create policy %I on public.%I for delete to authenticated using ((select auth.uid()) = user_id)',
      t || '_delete_own', t);
  end loop;
end
$$;

revoke all on table public.workflow_health, public.alert_channels, public.alert_rules,
  public.alert_rule_channels, public.alerts, public.alert_deliveries from anon, public;
grant select, insert, update, delete on table public.workflow_health, public.alert_channels,
  public.alert_rules, public.alert_rule_channels, public.alerts, public.alert_deliveries
  to authenticated, service_role;

revoke execute on function public.failure_groups(timestamptz),
  public.workflow_durations(timestamptz), public.duration_buckets(timestamptz, interval, uuid),
  public.workflow_health_inputs(uuid, timestamptz), public.guard_channel_target()
  from public, anon;
grant execute on function public.failure_groups(timestamptz),
  public.workflow_durations(timestamptz), public.duration_buckets(timestamptz, interval, uuid),
  public.workflow_health_inputs(uuid, timestamptz)
  to authenticated, service_role;

-- Live pages: health, alerts and their deliveries change as syncs run. Health rows are keyed
-- by their workflow, so they are announced under its id.
create or replace function public.notify_flowpulse_health() returns trigger
language plpgsql
set search_path = ''
as $$
declare
  v_row record;
begin
  if tg_op = 'DELETE' then v_row := old; else v_row := new; end if;
  perform pg_notify('flowpulse_changes', json_build_object(
    'table', tg_table_name, 'op', lower(tg_op), 'id', v_row.workflow_id,
    'user_id', v_row.user_id)::text);
  return null;
end;
$$;

create trigger workflow_health_notify_change after insert or update or delete
  on public.workflow_health for each row execute function public.notify_flowpulse_health();
create trigger alert_channels_notify_change after insert or update or delete
  on public.alert_channels for each row execute function public.notify_flowpulse_change();
create trigger alert_rules_notify_change after insert or update or delete
  on public.alert_rules for each row execute function public.notify_flowpulse_change();
create trigger alerts_notify_change after insert or update or delete
  on public.alerts for each row execute function public.notify_flowpulse_change();
create trigger alert_deliveries_notify_change after insert or update or delete
  on public.alert_deliveries for each row execute function public.notify_flowpulse_change();

revoke execute on function public.notify_flowpulse_health() from public, anon;

do $$
declare
  t text;
begin
  if exists (select 1 from pg_publication where pubname = 'supabase_realtime') then
    foreach t in array array['workflow_health', 'alerts', 'alert_deliveries'] loop
      if not exists (select 1 from pg_publication_tables
                     where pubname = 'supabase_realtime' and schemaname = 'public'
                       and tablename = t) then
        execute format('alter publication supabase_realtime add table public.%I', t);
      end if;
    end loop;
  end if;
end
$$;
