-- Row-level security: a signed-in user sees and changes only their own rows; anon gets nothing;
-- service_role (cron, admin) bypasses RLS by its BYPASSRLS attribute.
-- Policies call `(select auth.uid())` so Postgres evaluates it once per statement, not per row.

alter table public.providers enable row level security;
alter table public.mvp_workflows enable row level security;
alter table public.executions enable row level security;
alter table public.sync_logs enable row level security;
alter table public.migration_metadata enable row level security;

do $$
declare
  t text;
begin
  foreach t in array array['providers', 'mvp_workflows', 'executions', 'sync_logs'] loop
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

-- migration_metadata describes the deployment, not a user's data: only service_role (which
-- bypasses RLS) and the migration tooling touch it, so it has no policy for authenticated.

-- Supabase grants every new public table to anon by default privileges: take that back.
revoke all on table public.providers, public.mvp_workflows, public.executions,
  public.sync_logs, public.migration_metadata from anon, public;

grant select, insert, update, delete on table public.providers, public.mvp_workflows,
  public.executions, public.sync_logs to authenticated;
grant select, insert, update, delete on table public.providers, public.mvp_workflows,
  public.executions, public.sync_logs, public.migration_metadata to service_role;

revoke all on sequence public.executions_id_seq from anon, public;
grant usage, select on sequence public.executions_id_seq to authenticated, service_role;
