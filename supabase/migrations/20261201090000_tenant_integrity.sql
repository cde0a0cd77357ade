-- Two holes a signed-in user could use through PostgREST with their own JWT, closed in the
-- database so that no client (the app, curl, a future one) can open them again.

-- 1. An execution could point at ANOTHER user's workflow: `executions.workflow_id` referenced
--    `mvp_workflows (id)` alone, and foreign keys ignore row-level security. The next counter
--    recomputation then added it to the victim's counters. Now the workflow, the provider and
--    the owner must match, whoever writes the row.

alter table public.mvp_workflows
  add constraint mvp_workflows_id_provider_user_key unique (id, provider_id, user_id);

-- Rows that already break the rule lose the link (they stay in their owner's history), and the
-- counters of every workflow they were attached to are recounted without them.
do $$
declare
  v_tampered uuid[];
begin
  with unlinked as (
    update public.executions e set workflow_id = null
    from public.mvp_workflows w
    where w.id = e.workflow_id
      and (w.provider_id, w.user_id) is distinct from (e.provider_id, e.user_id)
    returning w.id as workflow_id
  )
  select array_agg(distinct workflow_id) into v_tampered from unlinked;
  if v_tampered is not null then
    perform public.recompute_workflow_counters(v_tampered);
  end if;
end
$$;

alter table public.executions drop constraint executions_workflow_id_fkey;
alter table public.executions
  add constraint executions_workflow_same_owner_fkey
  foreign key (workflow_id, provider_id, user_id)
  references public.mvp_workflows (id, provider_id, user_id)
  on delete set null (workflow_id);

-- 2. An instance's API key could be sent to a host the user never entered it for: changing
--    `base_url` kept the stored key, and the next sync or connection test sent it there. Now a
--    change of scheme, host or port needs a new key in the same write, keys must be in the
--    format that binds them to their row and origin (see `flowpulse_core::crypto`), and a
--    row's id never changes (the binding names it).

-- `scheme://host[:port]` of an http(s) URL, lower case, default port left out.
create or replace function public.url_origin(p_url text) returns text
language sql
immutable
strict
set search_path = ''
as $$
  select regexp_replace(
    regexp_replace(lower(substring(p_url from '^[A-Za-z][A-Za-z0-9+.-]*://[^/?#]*')),
      '^(https://[^/]*):443$', '\1'),
    '^(http://[^/]*):80$', '\1')
$$;

create or replace function public.guard_provider_key() returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if tg_op = 'UPDATE' then
    if new.id is distinct from old.id then
      raise exception 'an instance''s id cannot change'
        using errcode = 'check_violation';
    end if;
    if public.url_origin(new.base_url) is distinct from public.url_origin(old.base_url)
       and new.api_key_ciphertext is not distinct from old.api_key_ciphertext then
      raise exception 'moving an instance to another scheme, host or port needs its API key again'
        using errcode = 'check_violation',
              hint = 'Send a new api_key_ciphertext with the new base_url.';
    end if;
  end if;
  if (tg_op = 'INSERT' or new.api_key_ciphertext is distinct from old.api_key_ciphertext)
     and new.api_key_ciphertext !~ '^f2\.[0-9]{1,3}:[A-Za-z0-9_-]+$' then
    raise exception 'an API key must be stored in the current encrypted format'
      using errcode = 'check_violation',
            hint = 'Encrypt it with the row''s binding (flowpulse_core::crypto, format f2).';
  end if;
  return new;
end;
$$;

create trigger providers_guard_key before insert or update on public.providers
  for each row execute function public.guard_provider_key();

-- The same URL rule as `flowpulse_core::base_url`, for rows written from now on: no user-info,
-- no query, no fragment. Existing rows are not checked (NOT VALID); the sync refuses them with
-- a message asking to edit the instance.
alter table public.providers
  add constraint providers_base_url_plain check (
    base_url !~ '[?#]' and substring(base_url from '^https?://([^/]*)') !~ '@'
  ) not valid;

-- Supabase grants EXECUTE on new functions to anon. The trigger calls url_origin with the
-- writer's role, so signed-in roles keep it (a pure function: nothing to leak).
revoke execute on function public.url_origin(text), public.guard_provider_key()
  from public, anon;
grant execute on function public.url_origin(text) to authenticated, service_role;
