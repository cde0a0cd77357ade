-- Fair share: one account holds at most so many instances, so no user can make every cron run
-- (and everyone's sync) pay for thousands of them. The operator sets the cap per database:
--   alter database postgres set flowpulse.max_instances_per_user = '100';
-- (default 25). Enforced here, not in the app, so an insert straight through PostgREST with the
-- user's token meets it too; concurrent inserts of one user are serialised so they cannot slip
-- past it together. Raised as 54000 (program_limit_exceeded), which the app explains.
create or replace function public.guard_instance_cap() returns trigger
language plpgsql
security invoker
set search_path = ''
as $$
declare
  v_cap integer := coalesce(
    nullif(current_setting('flowpulse.max_instances_per_user', true), '')::integer, 25);
begin
  perform pg_advisory_xact_lock(hashtextextended('flowpulse.instances:' || new.user_id::text, 0));
  if (select count(*) from public.providers p where p.user_id = new.user_id) >= v_cap then
    raise exception 'instance limit reached' using
      errcode = '54000',
      hint = format('At most %s instances per account.', v_cap);
  end if;
  return new;
end
$$;

create trigger providers_instance_cap
  before insert on public.providers
  for each row execute function public.guard_instance_cap();

revoke execute on function public.guard_instance_cap() from public, anon;
