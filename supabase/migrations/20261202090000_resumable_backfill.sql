-- Resumable backfill: a provider keeps where an unfinished listing pass stopped (n8n's cursor
-- and the range of ids it listed), so a backlog larger than one run's budget completes over
-- successive runs instead of restarting from the newest page every time.
alter table public.providers
  add column backfill_cursor text,
  add column backfill_low bigint,
  add column backfill_top bigint,
  add constraint providers_backfill_whole check (
    (backfill_cursor is null) = (backfill_low is null)
    and (backfill_cursor is null) = (backfill_top is null)),
  add constraint providers_backfill_range check (backfill_low between 1 and backfill_top),
  -- The cursor comes from the instance and goes back to it; n8n's are a few dozen bytes.
  add constraint providers_backfill_cursor_size check (length(backfill_cursor) <= 2048);

-- Saves (or, with no cursor, clears) a provider's unfinished pass, and raises its watermark when
-- a completed pass moved it (never lowers it); answers the stored watermark. Under RLS, so a
-- caller only reaches their own provider. Unset arguments are left out by callers rather than
-- sent as null.
create or replace function public.save_listing_progress(
  p_provider_id uuid,
  p_cursor text default null,
  p_low bigint default null,
  p_top bigint default null,
  p_watermark bigint default null
) returns jsonb
language plpgsql
security invoker
set search_path = ''
as $$
declare
  v_watermark bigint;
begin
  update public.providers
  set backfill_cursor = p_cursor,
      backfill_low = case when p_cursor is null then null else p_low end,
      backfill_top = case when p_cursor is null then null else p_top end,
      exec_watermark = greatest(exec_watermark, coalesce(p_watermark, 0))
  where id = p_provider_id
  returning exec_watermark into v_watermark;
  if v_watermark is null then
    raise exception 'provider % not found', p_provider_id
      using errcode = 'P0002', hint = 'It does not exist or belongs to another user.';
  end if;
  return jsonb_build_object('watermark', v_watermark);
end;
$$;

-- The ids in [p_from, p_to] a provider's executions do not hold, ascending, at most p_limit:
-- after a pass listed every id in the range across several runs, these are the ones n8n did
-- not list (running, deleted or pruned), to fetch by id. One walk over the provider's index
-- finds the holes between stored neighbours; each hole contributes at most p_limit ids.
create or replace function public.execution_gaps(
  p_provider_id uuid,
  p_from bigint,
  p_to bigint,
  p_limit integer
) returns setof bigint
language plpgsql
stable
security invoker
set search_path = ''
as $$
begin
  if not exists (select 1 from public.providers where id = p_provider_id) then
    raise exception 'provider % not found', p_provider_id
      using errcode = 'P0002', hint = 'It does not exist or belongs to another user.';
  end if;
  return query
  with stored as (
    select e.n8n_execution_id as id from public.executions e
    where e.provider_id = p_provider_id and e.n8n_execution_id between p_from and p_to
    union all select p_from - 1
    union all select p_to + 1
  ),
  holes as (
    select s.id, lead(s.id) over (order by s.id) as next from stored s
  )
  select g.id
  from holes h,
       generate_series(h.id + 1, least(h.next - 1, h.id + greatest(p_limit, 0))) as g(id)
  where h.next > h.id + 1
  order by g.id
  limit greatest(p_limit, 0);
end;
$$;

revoke execute on function public.save_listing_progress(uuid, text, bigint, bigint, bigint),
  public.execution_gaps(uuid, bigint, bigint, integer) from public, anon;
grant execute on function public.save_listing_progress(uuid, text, bigint, bigint, bigint),
  public.execution_gaps(uuid, bigint, bigint, integer) to authenticated, service_role;
