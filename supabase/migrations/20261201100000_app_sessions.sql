-- Server-side sessions of the app: every session JWT carries the id of one row here (`sid`), and
-- the app honours the token only while that row is neither revoked nor past its absolute expiry.
-- Sign-out revokes one row, "sign out everywhere" all of a user's rows.
--
-- The schema is private: PostgREST serves only `public`, and neither `anon` nor `authenticated`
-- gets any privilege on it, so a browser can never read, forge or revive a session row. Only the
-- app's direct database connection (the database owner) reads and writes it.

create schema if not exists flowpulse_private;
revoke all on schema flowpulse_private from public, anon, authenticated;

create table flowpulse_private.app_sessions (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null references auth.users (id) on delete cascade,
  created_at timestamptz not null default now(),
  last_refreshed_at timestamptz not null default now(),
  -- The absolute end: no token is issued or refreshed past it, whatever the activity.
  expires_at timestamptz not null,
  revoked_at timestamptz
);

-- "Sign out everywhere" and the pruning at sign-in look sessions up by user.
create index app_sessions_user_id_idx on flowpulse_private.app_sessions (user_id);

-- Defence in depth: should a grant ever slip in, no policy lets an API role see a row.
alter table flowpulse_private.app_sessions enable row level security;
revoke all on table flowpulse_private.app_sessions from public, anon, authenticated;
