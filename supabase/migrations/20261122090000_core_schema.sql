-- FlowPulse core schema: n8n instances, their workflows with execution counters, execution
-- history and sync runs. Row-level security and grants follow in the next migration.

create or replace function public.set_updated_at() returns trigger
language plpgsql
set search_path = ''
as $$
begin
  new.updated_at := now();
  return new;
end;
$$;

-- One n8n instance of one user. The API key is stored encrypted by the app (see core::crypto).
create table public.providers (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null default auth.uid() references auth.users (id) on delete cascade,
  name text not null check (length(btrim(name)) between 1 and 100),
  base_url text not null check (base_url ~ '^https?://[^\s]+$'),
  api_key_ciphertext text not null,
  status text not null default 'unknown'
    check (status in ('connected', 'warning', 'error', 'unknown')),
  last_checked_at timestamptz,
  last_error text,
  -- Highest n8n execution id at or below which every execution is stored in a final state.
  exec_watermark bigint not null default 0 check (exec_watermark >= 0),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (user_id, name),
  -- Target of the composite foreign keys below, which keep child rows on their owner's provider.
  unique (id, user_id)
);

create table public.mvp_workflows (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null default auth.uid() references auth.users (id) on delete cascade,
  provider_id uuid not null,
  n8n_workflow_id text not null,
  name text not null,
  active boolean not null default false,
  archived boolean not null default false,
  tags text[] not null default '{}',
  node_types text[] not null default '{}',
  required_credential_types text[] not null default '{}',
  -- {nodes, connections, settings}, with credential ids stripped (names and types only).
  definition jsonb,
  n8n_updated_at timestamptz,
  execution_count bigint not null default 0 check (execution_count >= 0),
  successful_executions bigint not null default 0 check (successful_executions >= 0),
  failed_executions bigint not null default 0 check (failed_executions >= 0),
  last_execution_at timestamptz,
  last_execution_status text check (last_execution_status in
    ('canceled', 'crashed', 'error', 'new', 'running', 'success', 'unknown', 'waiting')),
  last_sync_at timestamptz,
  deleted_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (provider_id, n8n_workflow_id),
  -- A workflow row always belongs to the owner of its provider, whoever writes it.
  foreign key (provider_id, user_id) references public.providers (id, user_id) on delete cascade
);

-- Execution history. n8n ids are only unique per instance; history outlives n8n's pruning.
create table public.executions (
  id bigint generated always as identity primary key,
  user_id uuid not null default auth.uid() references auth.users (id) on delete cascade,
  provider_id uuid not null,
  workflow_id uuid references public.mvp_workflows (id) on delete set null,
  n8n_workflow_id text not null,
  n8n_execution_id bigint not null,
  status text not null check (status in
    ('canceled', 'crashed', 'error', 'new', 'running', 'success', 'unknown', 'waiting')),
  mode text not null default 'unknown',
  started_at timestamptz,
  stopped_at timestamptz,
  duration_ms bigint check (duration_ms >= 0),
  retry_of bigint,
  error_message text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (provider_id, n8n_execution_id),
  foreign key (provider_id, user_id) references public.providers (id, user_id) on delete cascade
);

create table public.sync_logs (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null default auth.uid() references auth.users (id) on delete cascade,
  -- Null for a run that is not about one provider (e.g. a cleanup over all of them).
  provider_id uuid,
  sync_type text not null check (sync_type in ('manual', 'scheduled', 'cleanup', 'workflow')),
  status text not null default 'running'
    check (status in ('running', 'success', 'partial', 'error')),
  started_at timestamptz not null default now(),
  finished_at timestamptz,
  duration_ms bigint check (duration_ms >= 0),
  workflows_synced integer not null default 0 check (workflows_synced >= 0),
  executions_synced integer not null default 0 check (executions_synced >= 0),
  error_message text,
  details jsonb not null default '{}'::jsonb,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  foreign key (provider_id, user_id) references public.providers (id, user_id) on delete cascade
);

-- Which workflow-definition migration files were exported from / applied to which environment.
create table public.migration_metadata (
  migration_file text primary key,
  source text not null check (source in ('dev', 'prod', 'staging')),
  workflow_id text,
  created_at timestamptz not null default now(),
  synced_at timestamptz,
  notes text
);

create index providers_user_id_idx on public.providers (user_id);
create index mvp_workflows_user_id_idx on public.mvp_workflows (user_id);
create index mvp_workflows_node_types_idx on public.mvp_workflows using gin (node_types);
create index mvp_workflows_credential_types_idx
  on public.mvp_workflows using gin (required_credential_types);
create index mvp_workflows_tags_idx on public.mvp_workflows using gin (tags);
create index executions_workflow_status_idx on public.executions (workflow_id, status);
create index executions_user_started_idx on public.executions (user_id, started_at desc);
create index executions_provider_started_idx on public.executions (provider_id, started_at desc);
create index executions_provider_unfinished_idx on public.executions (provider_id)
  where status in ('new', 'running', 'waiting');
create index sync_logs_user_started_idx on public.sync_logs (user_id, started_at desc);
create index sync_logs_provider_started_idx on public.sync_logs (provider_id, started_at desc);

create trigger providers_set_updated_at before update on public.providers
  for each row execute function public.set_updated_at();
create trigger mvp_workflows_set_updated_at before update on public.mvp_workflows
  for each row execute function public.set_updated_at();
create trigger executions_set_updated_at before update on public.executions
  for each row execute function public.set_updated_at();
create trigger sync_logs_set_updated_at before update on public.sync_logs
  for each row execute function public.set_updated_at();
