//! The chart's kept hours and days (`execution_periods`): the chart reads them for whole finished
//! hours and days and gives exactly the figures the raw rows give; inserting, changing or
//! deleting an execution of a kept period forgets it; hours no chart reads go; and another user
//! can neither keep, read nor forge them.

use crate::helpers::postgrest::{Auth, Reply, Rest};
use crate::helpers::{spawn_stack, TestStack, TestUser};
use serde_json::{json, Value};
use uuid::Uuid;

/// What one roll-up keeps per scope: 24 finished hours and 31 finished days.
const HOURS: i64 = 24;
const DAYS: i64 = 31;

struct Fixture {
    stack: TestStack,
    rest: Rest,
    a: TestUser,
    b: TestUser,
    /// A's two instances, then B's.
    providers: [Uuid; 3],
}

impl Fixture {
    /// Executions over the last ten UTC days (today included) on each instance: every status,
    /// durations spread over a second, some unfinished (no duration).
    async fn new() -> Fixture {
        let stack = spawn_stack().await;
        let rest = Rest::new(&stack.postgrest_url);
        let a = stack.create_user("a@example.com").await;
        let b = stack.create_user("b@example.com").await;
        let mut providers = [Uuid::nil(); 3];
        for (index, owner) in [&a, &a, &b].into_iter().enumerate() {
            providers[index] = stack
                .add_provider(
                    owner,
                    &format!("n8n {index}"),
                    "http://127.0.0.1:9",
                    "n8n_key_0",
                )
                .await;
            stack
                .db
                .execute(
                    "insert into public.executions (user_id, provider_id, n8n_workflow_id,
                       n8n_execution_id, status, mode, started_at, duration_ms)
                     select $1, $2, 'wf', n,
                       (array['success', 'success', 'error', 'crashed', 'running', 'waiting'])[1 + n % 6],
                       'trigger',
                       date_trunc('day', now() at time zone 'UTC') at time zone 'UTC'
                         - (n % 10) * interval '1 day' + (n * 37 % 80000) * interval '1 second',
                       case when n % 6 in (4, 5) then null else 10 + n * 13 % 1000 end
                     from generate_series(1, 1500) n",
                    &[&owner.id, &providers[index]],
                )
                .await
                .unwrap();
        }
        Fixture {
            stack,
            rest,
            a,
            b,
            providers,
        }
    }

    /// `user` keeps the periods of A's first instance.
    async fn roll_up(&self, user: &TestUser) -> Reply {
        let body = json!({"p_provider_id": self.providers[0]});
        self.rpc(user, "roll_up_execution_periods", body).await
    }

    async fn rpc(&self, user: &TestUser, function: &str, body: Value) -> Reply {
        let auth = Auth::Bearer(user.token.clone());
        self.rest.rpc(function, &auth, body).await
    }

    /// The chart by `bucket` ("1 day": the last 30 days, "1 hour": the last 24 hours) as
    /// `user` sees it, and the same figures from raw rows.
    async fn chart_and_raw(
        &self,
        user: &TestUser,
        bucket: &str,
        provider: Option<Uuid>,
    ) -> (Value, Value) {
        let since = self.since(bucket).await;
        let mut chart = json!({"p_since": since, "p_bucket": bucket});
        let mut raw = json!({"p_from": since, "p_to": "infinity", "p_bucket": bucket,
                             "p_origin": since});
        if let Some(provider) = provider {
            chart["p_provider_id"] = json!(provider);
            raw["p_provider_id"] = json!(provider);
        }
        let chart = self.rpc(user, "execution_chart", chart).await;
        let raw = self.rpc(user, "execution_figures", raw).await;
        assert!(chart.status.is_success(), "{chart:?}");
        assert!(raw.status.is_success(), "{raw:?}");
        let mut raw = raw.rows();
        raw.sort_by_key(|row| row["bucket"].as_str().map(str::to_owned));
        (Value::from(chart.rows()), Value::from(raw))
    }

    /// The first bucket of the chart by `bucket`, as the app asks for it.
    async fn since(&self, bucket: &str) -> String {
        self.stack
            .db
            .query_one(
                "select to_char(date_trunc($1, now() at time zone 'UTC')
                                  - case $1 when 'day' then interval '29 days'
                                            else interval '23 hours' end,
                                'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')",
                &[&bucket.trim_start_matches("1 ")],
            )
            .await
            .unwrap()
            .get(0)
    }

    /// How many `width` ("1 hour", "1 day") periods A has kept for `scope`.
    async fn kept(&self, width: &str, scope: Option<Uuid>) -> i64 {
        self.stack
            .db
            .query_one(
                "select count(*) from public.execution_periods
                 where user_id = $1 and provider_id is not distinct from $2
                   and width = $3::text::interval",
                &[&self.a.id, &scope, &width],
            )
            .await
            .unwrap()
            .get(0)
    }

    /// Runs `sql` on A's first instance's executions that started `days_ago` UTC days ago.
    async fn on_day(&self, sql: &str, days_ago: i32) {
        self.stack
            .db
            .execute(
                &sql.replace(
                    "$day",
                    "provider_id = $1 and (started_at at time zone 'UTC')::date
                       = (now() at time zone 'UTC')::date - $2::integer",
                ),
                &[&self.providers[0], &days_ago],
            )
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn kept_days_chart_exactly_like_raw_rows_and_a_change_to_a_day_forgets_it() {
    let f = Fixture::new().await;
    let kept = f.roll_up(&f.a).await;
    assert_eq!(
        kept.body,
        json!((HOURS + DAYS) * 2),
        "24 finished hours and 31 finished days, the instance's and A's: {kept:?}"
    );
    let again = f.roll_up(&f.a).await;
    assert_eq!(again.body, json!(0), "nothing left to keep");
    for scope in [None, Some(f.providers[0]), Some(f.providers[1])] {
        let (chart, raw) = f.chart_and_raw(&f.a, "1 day", scope).await;
        assert_eq!(chart, raw, "{scope:?}");
        assert_eq!(
            chart.as_array().unwrap().len(),
            10,
            "ten days with executions"
        );
    }

    // The chart does read kept days: a kept figure shows (and nobody but the owner can write
    // one, see below).
    f.stack
        .db
        .execute(
            "update public.execution_periods set succeeded = succeeded + 1000
             where user_id = $1 and provider_id is null and width = '1 day'
               and starts_at = date_trunc('day', now() at time zone 'UTC') at time zone 'UTC'
                               - interval '2 days'",
            &[&f.a.id],
        )
        .await
        .unwrap();
    let (chart, raw) = f.chart_and_raw(&f.a, "1 day", None).await;
    assert_ne!(chart, raw, "the kept day was read");

    // Changing a day forgets it for the instance and for the user, so the chart reads it raw.
    f.on_day(
        "insert into public.executions (user_id, provider_id, n8n_workflow_id, n8n_execution_id,
           status, mode, started_at, duration_ms)
         select user_id, provider_id, 'wf', n8n_execution_id + 100000, 'error', 'trigger',
           started_at, 5000
         from public.executions where $day order by n8n_execution_id limit 1",
        2,
    )
    .await;
    f.on_day(
        "update public.executions set status = 'success', duration_ms = 1
         where id = (select id from public.executions where $day and status = 'crashed' limit 1)",
        5,
    )
    .await;
    f.on_day("delete from public.executions where $day", 7)
        .await;
    assert_eq!(f.kept("1 day", Some(f.providers[0])).await, DAYS - 3);
    assert_eq!(f.kept("1 day", None).await, DAYS - 3);
    assert_eq!(
        f.kept("1 hour", None).await,
        HOURS,
        "no kept hour was touched"
    );
    for scope in [None, Some(f.providers[0])] {
        let (chart, raw) = f.chart_and_raw(&f.a, "1 day", scope).await;
        assert_eq!(chart, raw, "after the changes, {scope:?}");
    }
    // An update that leaves start, status and duration alone keeps the day.
    f.on_day("update public.executions set mode = 'manual' where $day", 3)
        .await;
    assert_eq!(f.kept("1 day", None).await, DAYS - 3);
    let rekept = f.roll_up(&f.a).await;
    assert_eq!(rekept.body, json!(6), "the three forgotten days, twice");
    let (chart, raw) = f.chart_and_raw(&f.a, "1 day", None).await;
    assert_eq!(chart, raw);
}

#[tokio::test]
async fn kept_hours_chart_the_last_day_exactly_and_a_late_execution_forgets_its_hour_and_day() {
    let f = Fixture::new().await;
    f.roll_up(&f.a).await;
    let other_instance = json!({"p_provider_id": f.providers[1]});
    f.rpc(&f.a, "roll_up_execution_periods", other_instance)
        .await;
    for scope in [None, Some(f.providers[0]), Some(f.providers[1])] {
        let (chart, raw) = f.chart_and_raw(&f.a, "1 hour", scope).await;
        assert_eq!(chart, raw, "{scope:?}");
        assert!(
            !chart.as_array().unwrap().is_empty(),
            "hours with executions"
        );
    }

    // An execution arriving late for three hours ago: its hour is forgotten for the instance
    // and for A (not for her other instance), and so is its day when that day is over.
    let hour_of_a_finished_day: bool = f
        .stack
        .db
        .query_one(
            "select date_trunc('hour', now(), 'UTC') - interval '3 hours' < date_trunc('day', now(), 'UTC')",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    f.stack
        .db
        .execute(
            "insert into public.executions (user_id, provider_id, n8n_workflow_id,
               n8n_execution_id, status, mode, started_at, duration_ms)
             values ($1, $2, 'wf', 900001, 'error', 'trigger',
                     date_trunc('hour', now(), 'UTC') - interval '3 hours' + interval '10 minutes', 7000)",
            &[&f.a.id, &f.providers[0]],
        )
        .await
        .unwrap();
    let days_left = DAYS - i64::from(hour_of_a_finished_day);
    assert_eq!(f.kept("1 hour", Some(f.providers[0])).await, HOURS - 1);
    assert_eq!(f.kept("1 hour", None).await, HOURS - 1);
    assert_eq!(f.kept("1 hour", Some(f.providers[1])).await, HOURS);
    assert_eq!(f.kept("1 day", Some(f.providers[0])).await, days_left);
    assert_eq!(f.kept("1 day", None).await, days_left);
    for scope in [None, Some(f.providers[0])] {
        let (chart, raw) = f.chart_and_raw(&f.a, "1 hour", scope).await;
        assert_eq!(chart, raw, "after the late execution, {scope:?}");
    }
    let rekept = f.roll_up(&f.a).await;
    assert_eq!(
        rekept.body,
        json!(2 * (1 + DAYS - days_left)),
        "the forgotten hour (and day), twice"
    );

    // The chart does read kept hours.
    f.stack
        .db
        .execute(
            "update public.execution_periods set failed = failed + 500
             where user_id = $1 and provider_id is null and width = '1 hour'
               and starts_at = date_trunc('hour', now(), 'UTC') - interval '2 hours'",
            &[&f.a.id],
        )
        .await
        .unwrap();
    let (chart, raw) = f.chart_and_raw(&f.a, "1 hour", None).await;
    assert_ne!(chart, raw, "the kept hour was read");

    // Hours no chart reads any more go at the next roll-up; old days stay.
    f.stack
        .db
        .execute(
            "insert into public.execution_periods (user_id, provider_id, width, starts_at)
             values ($1, $2, '1 hour', date_trunc('hour', now(), 'UTC') - interval '3 days'),
                    ($1, $2, '1 day', date_trunc('day', now(), 'UTC') - interval '40 days')",
            &[&f.a.id, &f.providers[0]],
        )
        .await
        .unwrap();
    f.roll_up(&f.a).await;
    assert_eq!(f.kept("1 hour", Some(f.providers[0])).await, HOURS);
    assert_eq!(f.kept("1 day", Some(f.providers[0])).await, DAYS + 1);
}

#[tokio::test]
async fn another_user_can_neither_keep_read_change_nor_forge_kept_periods() {
    let f = Fixture::new().await;
    f.roll_up(&f.a).await;
    let b_auth = Auth::Bearer(f.b.token.clone());

    let reply = f.roll_up(&f.b).await;
    assert_eq!(reply.code(), Some("P0002"), "{reply:?}");
    let seen = f.rest.select("execution_periods?select=id", &b_auth).await;
    assert_eq!(
        seen.rows(),
        Vec::<Value>::new(),
        "B sees none of A's kept periods"
    );
    for bucket in ["1 day", "1 hour"] {
        let (chart, _) = f.chart_and_raw(&f.b, bucket, Some(f.providers[0])).await;
        assert_eq!(chart, json!([]), "nor A's figures through the chart");
    }

    // Well-formed rows (B may keep her own), refused for whose they are.
    let own = json!({"user_id": f.b.id, "provider_id": f.providers[2], "width": "1 hour",
                     "starts_at": "2026-01-01T05:00:00Z"});
    let reply = f.rest.insert("execution_periods", &b_auth, own).await;
    assert_eq!(reply.status.as_u16(), 201, "{reply:?}");
    for forged in [
        json!({"user_id": f.a.id, "provider_id": null, "width": "1 day",
               "starts_at": "2026-01-01T00:00:00Z", "succeeded": 9}),
        json!({"user_id": f.b.id, "provider_id": f.providers[0], "width": "1 hour",
               "starts_at": "2026-01-01T05:00:00Z"}),
    ] {
        let reply = f
            .rest
            .insert("execution_periods", &b_auth, forged.clone())
            .await;
        assert!(!reply.status.is_success(), "{forged}: {reply:?}");
    }
    // Changing or deleting A's kept periods reaches no row of hers (checked by the count below).
    let path = format!("execution_periods?user_id=eq.{}", f.a.id);
    let changed = f
        .rest
        .update(&path, &b_auth, json!({"succeeded": 999}))
        .await;
    assert!(changed.rows().is_empty(), "{changed:?}");
    let deleted = f.rest.delete(&path, &b_auth).await;
    assert!(deleted.rows().is_empty(), "{deleted:?}");
    let tampered: i64 = f
        .stack
        .db
        .query_one(
            "select count(*) from public.execution_periods where user_id = $1 and succeeded = 999",
            &[&f.a.id],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(tampered, 0, "B changed none of A's kept periods");
    let anon = f
        .rest
        .rpc(
            "roll_up_execution_periods",
            &Auth::None,
            json!({"p_provider_id": f.providers[0]}),
        )
        .await;
    assert!(!anon.status.is_success(), "{anon:?}");
    let forgotten: i64 = f
        .stack
        .db
        .query_one(
            "select count(*) from public.execution_periods where user_id = $1",
            &[&f.a.id],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(forgotten, (HOURS + DAYS) * 2, "A's kept periods untouched");
}
