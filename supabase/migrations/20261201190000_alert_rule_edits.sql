-- Editing an alert rule: its fields and the channels it notifies change together or not at
-- all. Invoker's rights: RLS and the composite keys refuse another user's rule or channel, and
-- the whole edit is undone with it. When what the rule watches changes (kind, instance,
-- workflow), its open alerts no longer answer the question it asks: they are closed, without
-- a notice, and the next sync opens what still holds.
create or replace function public.update_alert_rule(
  p_rule_id uuid,
  p_rule jsonb,
  p_channel_ids uuid[]
) returns boolean
language plpgsql
security invoker
set search_path = ''
as $$
declare
  v_before public.alert_rules%rowtype;
begin
  select * into v_before from public.alert_rules where id = p_rule_id for update;
  if not found then
    return false;
  end if;
  update public.alert_rules set
    name = p_rule->>'name',
    kind = p_rule->>'kind',
    provider_id = (p_rule->>'provider_id')::uuid,
    workflow_id = (p_rule->>'workflow_id')::uuid,
    threshold = (p_rule->>'threshold')::numeric,
    updated_at = now()
  where id = p_rule_id;
  if (v_before.kind, v_before.provider_id, v_before.workflow_id)
     is distinct from (p_rule->>'kind', (p_rule->>'provider_id')::uuid,
                       (p_rule->>'workflow_id')::uuid) then
    update public.alerts set state = 'resolved', resolved_at = now(), updated_at = now()
    where rule_id = p_rule_id and state = 'open';
  end if;
  delete from public.alert_rule_channels where rule_id = p_rule_id;
  insert into public.alert_rule_channels (rule_id, channel_id)
  select p_rule_id, channel_id from unnest(p_channel_ids) as channel_id;
  return true;
end
$$;

revoke execute on function public.update_alert_rule(uuid, jsonb, uuid[]) from public, anon;
grant execute on function public.update_alert_rule(uuid, jsonb, uuid[])
  to authenticated, service_role;
