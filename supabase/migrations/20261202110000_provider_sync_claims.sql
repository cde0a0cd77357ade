-- Queue fan-out: the cron enqueues one message per provider and queue consumers sync them, each
-- in its own invocation. A queue delivers at least once and may run consumers side by side, so
-- a provider's sync is claimed for a while first: at most one queued sync per provider at a
-- time, and a consumer that dies mid-sync frees the claim when it expires. The consumer ends its
-- claim by setting the column back to null (its own row, under RLS).
alter table public.providers
  add column sync_claimed_until timestamptz;

-- Claims `p_provider_id` for `p_seconds` (1 s to 15 min, a consumer invocation's wall time)
-- unless another claim is still running; true when this call got it. Under RLS: another user's
-- provider (or none) answers false, as a taken claim does, and nothing changes.
create or replace function public.claim_provider_sync(
  p_provider_id uuid,
  p_seconds integer
) returns boolean
language plpgsql
security invoker
set search_path = ''
as $$
declare
  v_claimed boolean;
begin
  if p_seconds is null or p_seconds not between 1 and 900 then
    raise exception 'a sync claim lasts 1 to 900 seconds, not %', p_seconds
      using errcode = '22023';
  end if;
  update public.providers
  set sync_claimed_until = now() + make_interval(secs => p_seconds)
  where id = p_provider_id
    and (sync_claimed_until is null or sync_claimed_until <= now())
  returning true into v_claimed;
  return coalesce(v_claimed, false);
end;
$$;

revoke execute on function public.claim_provider_sync(uuid, integer) from public, anon;
grant execute on function public.claim_provider_sync(uuid, integer) to authenticated, service_role;
