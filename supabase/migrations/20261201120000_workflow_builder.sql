-- The workflow builder: a chat per user that builds workflow plans, the user's n8n credentials
-- (encrypted) that deployed workflows use, where each credential and each built workflow went,
-- and which synced workflows the builder made. Every table is the user's own (RLS), and every
-- reference stays on the same owner (composite foreign keys).

-- A named n8n credential of the user's, e.g. their Slack token, created in an n8n instance when
-- a workflow that needs it is deployed there.
create table public.credentials (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null default auth.uid() references auth.users (id) on delete cascade,
  name text not null check (length(btrim(name)) between 1 and 100),
  -- n8n's credential type, e.g. `slackApi`.
  credential_type text not null check (credential_type ~ '^[A-Za-z][A-Za-z0-9]{0,63}$'),
  -- The fields as a JSON object, encrypted bound to this row and its type (core::crypto, f2).
  secret_ciphertext text not null,
  -- What a page may show of it: at most the last four characters of its main secret.
  hint text not null default '' check (length(hint) <= 8),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (user_id, name),
  unique (id, user_id)
);

-- Which n8n credential a credential became on which instance: created once per instance,
-- replaced when the credential changed after that.
create table public.credential_deployments (
  credential_id uuid not null,
  provider_id uuid not null,
  user_id uuid not null default auth.uid() references auth.users (id) on delete cascade,
  n8n_credential_id text not null check (length(n8n_credential_id) between 1 and 100),
  -- `credentials.updated_at` of the version written there.
  credential_version timestamptz not null,
  deployed_at timestamptz not null default now(),
  primary key (credential_id, provider_id),
  foreign key (credential_id, user_id) references public.credentials (id, user_id) on delete cascade,
  foreign key (provider_id, user_id) references public.providers (id, user_id) on delete cascade
);

-- One chat with the builder: its messages, and the composer's state (current plan, undo
-- history, a pending question) so a reload or a second tab continues where it was.
create table public.conversations (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null default auth.uid() references auth.users (id) on delete cascade,
  title text not null default 'New workflow' check (length(title) between 1 and 200),
  state jsonb not null default '{}'::jsonb check (jsonb_typeof(state) = 'object'),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (id, user_id)
);

create table public.chat_messages (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null default auth.uid() references auth.users (id) on delete cascade,
  conversation_id uuid not null,
  role text not null check (role in ('user', 'assistant')),
  content text not null check (length(content) between 1 and 8000),
  -- The plan the assistant showed with this reply, if any.
  plan jsonb check (plan is null or jsonb_typeof(plan) = 'object'),
  created_at timestamptz not null default now(),
  foreign key (conversation_id, user_id) references public.conversations (id, user_id)
    on delete cascade
);

-- Workflows the builder made are marked, with the request that made them, so cleanup never
-- treats them as orphans and the dashboard can badge them.
alter table public.mvp_workflows
  add column origin text not null default 'sync' check (origin in ('sync', 'builder')),
  add column prompt text check (prompt is null or length(prompt) <= 8000);

-- What the builder deployed where: one row per conversation and instance (a second deploy of
-- the same chat to the same instance updates that workflow in place).
create table public.workflow_deployments (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null default auth.uid() references auth.users (id) on delete cascade,
  conversation_id uuid not null,
  provider_id uuid not null,
  workflow_id uuid,
  n8n_workflow_id text,
  -- sha256 of the rendered workflow last deployed.
  version_hash text,
  status text not null default 'deploying'
    check (status in ('deploying', 'deployed', 'failed', 'removed')),
  active boolean not null default false,
  error text check (error is null or length(error) <= 2000),
  -- When the current 'deploying' claim was taken: two tabs deploying at once make one workflow.
  claimed_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (conversation_id, provider_id),
  foreign key (conversation_id, user_id) references public.conversations (id, user_id)
    on delete cascade,
  foreign key (provider_id, user_id) references public.providers (id, user_id) on delete cascade,
  foreign key (workflow_id, provider_id, user_id)
    references public.mvp_workflows (id, provider_id, user_id) on delete set null (workflow_id)
);

create index credentials_user_idx on public.credentials (user_id);
create index conversations_user_idx on public.conversations (user_id, updated_at desc);
create index chat_messages_conversation_idx on public.chat_messages (conversation_id, created_at);
create index workflow_deployments_user_idx on public.workflow_deployments (user_id);
create index mvp_workflows_origin_idx on public.mvp_workflows (user_id) where origin = 'builder';

create trigger credentials_set_updated_at before update on public.credentials
  for each row execute function public.set_updated_at();
create trigger conversations_set_updated_at before update on public.conversations
  for each row execute function public.set_updated_at();
create trigger workflow_deployments_set_updated_at before update on public.workflow_deployments
  for each row execute function public.set_updated_at();

-- Secrets are only ever stored in the bound format, and a row's id (which the binding names)
-- never changes.
create or replace function public.guard_credential_secret() returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if tg_op = 'UPDATE' and new.id is distinct from old.id then
    raise exception 'a credential''s id cannot change' using errcode = 'check_violation';
  end if;
  if (tg_op = 'INSERT' or new.secret_ciphertext is distinct from old.secret_ciphertext)
     and new.secret_ciphertext !~ '^f2\.[0-9]{1,3}:[A-Za-z0-9_-]+$' then
    raise exception 'a credential must be stored in the current encrypted format'
      using errcode = 'check_violation';
  end if;
  if tg_op = 'UPDATE' and new.credential_type is distinct from old.credential_type
     and new.secret_ciphertext is not distinct from old.secret_ciphertext then
    raise exception 'changing a credential''s type needs its fields again'
      using errcode = 'check_violation';
  end if;
  return new;
end;
$$;

create trigger credentials_guard_secret before insert or update on public.credentials
  for each row execute function public.guard_credential_secret();

-- Row-level security, as for the other user tables.
do $$
declare
  t text;
begin
  foreach t in array array['credentials', 'credential_deployments', 'conversations',
                           'chat_messages', 'workflow_deployments'] loop
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

revoke all on table public.credentials, public.credential_deployments, public.conversations,
  public.chat_messages, public.workflow_deployments from anon, public;
grant select, insert, update, delete on table public.credentials, public.credential_deployments,
  public.conversations, public.chat_messages, public.workflow_deployments
  to authenticated, service_role;
revoke execute on function public.guard_credential_secret() from public, anon;

-- Claims the deployment of a conversation to an instance, or reports it taken: a claim younger
-- than `p_stale_after` by another request is respected, so two tabs pressing Deploy at once
-- make one workflow. Returns the deployment row as it is after the claim, with `claimed`.
create or replace function public.claim_deployment(
  p_conversation_id uuid,
  p_provider_id uuid,
  p_stale_after interval default interval '2 minutes'
) returns jsonb
language plpgsql
security invoker
set search_path = ''
as $$
declare
  v_row public.workflow_deployments;
  v_user_id uuid;
begin
  -- The conversation's owner (under RLS a caller only finds their own); the composite keys
  -- then refuse an instance of anyone else.
  select user_id into v_user_id from public.conversations where id = p_conversation_id;
  if v_user_id is null then
    raise exception 'conversation % not found', p_conversation_id
      using errcode = 'P0002', hint = 'It does not exist or belongs to another user.';
  end if;
  insert into public.workflow_deployments as d (conversation_id, provider_id, user_id, status,
                                                claimed_at)
  values (p_conversation_id, p_provider_id, v_user_id, 'deploying', now())
  on conflict (conversation_id, provider_id) do nothing
  returning * into v_row;
  if v_row.id is not null then
    return to_jsonb(v_row) || jsonb_build_object('claimed', true);
  end if;
  select * into v_row from public.workflow_deployments
  where conversation_id = p_conversation_id and provider_id = p_provider_id
  for update;
  if v_row.id is null then
    raise exception 'conversation or instance not found'
      using errcode = 'P0002', hint = 'It does not exist or belongs to another user.';
  end if;
  if v_row.status = 'deploying' and v_row.claimed_at > now() - p_stale_after then
    return to_jsonb(v_row) || jsonb_build_object('claimed', false);
  end if;
  update public.workflow_deployments
  set status = 'deploying', claimed_at = now(), error = null
  where id = v_row.id
  returning * into v_row;
  return to_jsonb(v_row) || jsonb_build_object('claimed', true);
end;
$$;

revoke execute on function public.claim_deployment(uuid, uuid, interval) from public, anon;
grant execute on function public.claim_deployment(uuid, uuid, interval)
  to authenticated, service_role;

-- Live updates: a second tab sees new messages and deployment states.
create trigger conversations_notify_change after insert or update or delete
  on public.conversations for each row execute function public.notify_flowpulse_change();
create trigger chat_messages_notify_change after insert or update or delete
  on public.chat_messages for each row execute function public.notify_flowpulse_change();
create trigger workflow_deployments_notify_change after insert or update or delete
  on public.workflow_deployments for each row execute function public.notify_flowpulse_change();
create trigger credentials_notify_change after insert or update or delete
  on public.credentials for each row execute function public.notify_flowpulse_change();

do $$
declare
  t text;
begin
  if exists (select 1 from pg_publication where pubname = 'supabase_realtime') then
    foreach t in array array['conversations', 'chat_messages', 'workflow_deployments',
                             'credentials'] loop
      if not exists (select 1 from pg_publication_tables
                     where pubname = 'supabase_realtime' and schemaname = 'public'
                       and tablename = t) then
        execute format('alter publication supabase_realtime add table public.%I', t);
      end if;
    end loop;
  end if;
end
$$;
