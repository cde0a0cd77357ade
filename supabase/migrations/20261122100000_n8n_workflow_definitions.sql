-- Workflow definitions moved between n8n instances as reviewed migration files
-- (`flowpulse workflows export` writes them, `flowpulse migrate up` applies and deploys them).
-- Deployment bookkeeping, not user data: service_role and the migration tooling only.

-- One n8n workflow definition, keyed by its id on the instance it was exported from.
-- Credential references in `nodes` carry the credential type and name only: never an id,
-- never a secret.
create table public.n8n_workflows (
  id text primary key check (length(id) between 1 and 100),
  name text not null,
  active boolean not null default false,
  nodes jsonb not null default '[]'::jsonb check (jsonb_typeof(nodes) = 'array'),
  connections jsonb not null default '{}'::jsonb check (jsonb_typeof(connections) = 'object'),
  settings jsonb not null default '{}'::jsonb check (jsonb_typeof(settings) = 'object'),
  source text check (source in ('dev', 'prod', 'staging')),
  -- n8n's createdAt/updatedAt on the source: an export only overwrites an older definition.
  created_at timestamptz not null,
  updated_at timestamptz not null
);

-- What `migrate up --deploy-to` last wrote to which n8n instance, so a re-run is a no-op and a
-- target edited after our deploy is recognised (its updatedAt no longer matches).
create table public.n8n_workflow_deployments (
  workflow_id text not null references public.n8n_workflows (id) on delete cascade,
  -- The target instance's base URL.
  target_url text not null,
  target_workflow_id text not null,
  -- sha256 of the deployed name, nodes, connections and settings.
  deployed_hash text not null,
  -- The target's updatedAt right after the deploy.
  target_updated_at timestamptz,
  deployed_at timestamptz not null default now(),
  primary key (workflow_id, target_url)
);

alter table public.n8n_workflows enable row level security;
alter table public.n8n_workflow_deployments enable row level security;

-- No policies: authenticated users reach neither table; service_role bypasses RLS.
revoke all on table public.n8n_workflows, public.n8n_workflow_deployments
  from anon, authenticated, public;
grant select, insert, update, delete on table public.n8n_workflows,
  public.n8n_workflow_deployments to service_role;
