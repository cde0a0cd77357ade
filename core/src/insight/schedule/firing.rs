//! When one rule fires: n8n's cron expression for it, evaluated in the workflow's time zone,
//! and the elapsed-time filter n8n puts behind crons that cannot express an interval alone.

use chrono::{DateTime, Datelike, NaiveDate, Offset, TimeDelta, TimeZone, Timelike, Utc};
use croner::parser::{CronParser, Year};
use croner::{Cron, JobType};

use super::zone::Zone;

/// How a rule's fire times are computed.
#[derive(Debug, Clone)]
pub(super) enum Firing {
    /// Fires when the cron matches the wall clock in the schedule's time zone, and, with a
    /// recurrence, only when enough units have passed since the last fire (n8n's
    /// `recurrenceCheck`: "every 2 days at 09:00" is a daily 09:00 cron plus that filter).
    Cron {
        cron: Box<Cron>,
        recurrence: Option<Recurrence>,
    },
    /// Fires every `period` after the last fire: the Interval node's `setInterval`, and
    /// Schedule Trigger minute intervals that do not divide an hour (n8n fires a cron every
    /// minute and lets one in `n` through, counted in whole minutes).
    Period {
        period: TimeDelta,
        whole_minutes: bool,
    },
}

/// n8n's elapsed-time filter, in the units it counts (wall-clock values in the time zone).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Recurrence {
    /// `(hour - last + 24) % 24 >= n`.
    Hours(u32),
    /// `(dayOfYear - last + 365) % 365 >= n`.
    Days(u32),
    /// `(week - last + 52) % 52 >= n`, or the same week (several weekdays in one week).
    Weeks(u32),
    /// Months counted absolutely: `year * 12 + month - last >= n`.
    Months(u32),
}

/// How many cron matches the filter may reject before one fire: enough for "every 51 weeks
/// on 7 days" (357) or "every 120 months" (120), and a bound on the work otherwise.
const MAX_CANDIDATES: usize = 2_000;

/// Parses a cron expression the way n8n's `cron` package reads it: 5 fields (seconds 0) or
/// 6 (seconds first), the `@` presets it knows, Sunday as 0 or 7, day-of-month and
/// day-of-week combined with OR when both are restricted.
pub(super) fn parse_cron(expression: &str) -> Result<Cron, String> {
    let trimmed = expression.trim();
    let expanded = match trimmed.to_ascii_lowercase().as_str() {
        "@yearly" | "@annually" => "0 0 0 1 1 *",
        "@monthly" => "0 0 0 1 * *",
        "@weekly" => "0 0 0 * * 0",
        "@daily" | "@midnight" => "0 0 0 * * *",
        "@hourly" => "0 0 * * * *",
        "@minutely" => "0 * * * * *",
        "@secondly" => "* * * * * *",
        "@weekdays" => "0 0 0 * * 1-5",
        "@weekends" => "0 0 0 * * 0,6",
        _ => trimmed,
    };
    let fields = expanded.split_whitespace().count();
    if !(5..=6).contains(&fields) {
        return Err(format!(
            "a cron expression has 5 or 6 fields, `{trimmed}` has {fields}"
        ));
    }
    let cron = CronParser::builder()
        .year(Year::Disallowed)
        .build()
        .parse(expanded)
        .map_err(|error| format!("`{trimmed}` is not a cron expression n8n accepts: {error}"))?;
    // A pattern that never matches (the 30th of February) would make every search run to
    // croner's year limit, which takes a while; look for one matching day in eight years
    // instead, as n8n's `cron` does. Every time-of-day field matches something once parsed.
    let matches_a_day = (2025..2033).any(|year| {
        (1..=12).any(|month| {
            cron.pattern.month_match(month).unwrap_or(false)
                && (1..=31).any(|day| {
                    NaiveDate::from_ymd_opt(year, month, day).is_some()
                        && cron.pattern.day_match(year, month, day).unwrap_or(false)
                })
        })
    });
    if matches_a_day {
        Ok(cron)
    } else {
        Err(format!("`{trimmed}` never matches a real date"))
    }
}

/// The first moment after `after` at which `cron` matches the wall clock in `tz`.
///
/// croner searches wall-clock time; around a DST fall-back the same wall-clock moment happens
/// twice. Fixed-time jobs (one second, minute and hour) fire at the first of the two, as n8n's
/// `cron` does; interval jobs (`*/15 …`) fire at both, once per real moment. The answer is
/// always later than `after`, so successive calls walk forward in real time.
pub(super) fn cron_after(cron: &Cron, tz: &Zone, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let interval_job = cron.determine_job_type() == JobType::IntervalWildcard;
    let mut probe = after.with_timezone(tz);
    for _ in 0..8 {
        let found = cron.find_next_occurrence(&probe, false).ok()?;
        let found_utc = found.with_timezone(&Utc);
        if found_utc > after {
            if interval_job {
                if let Some(earlier) = second_pass_between(cron, tz, after, found_utc) {
                    return Some(earlier);
                }
            }
            return Some(found_utc);
        }
        // croner answered with the first of two identical wall-clock moments, at or before
        // `after`: the search started in the repeated hour's second pass.
        let naive = found.naive_local();
        let second = tz.from_local_datetime(&naive).latest()?;
        if interval_job && second.with_timezone(&Utc) > after {
            return Some(second.with_timezone(&Utc));
        }
        probe = second;
    }
    None
}

/// For an interval job whose next match `found` lies past a fall-back transition: the first
/// match in the repeated hour's second pass, when it comes before `found`. croner's wall-clock
/// search steps over that pass (its wall-clock times were already seen before the change).
fn second_pass_between(
    cron: &Cron,
    tz: &Zone,
    after: DateTime<Utc>,
    found: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    let offset = |at: DateTime<Utc>| {
        tz.offset_from_utc_datetime(&at.naive_utc())
            .fix()
            .local_minus_utc()
    };
    let before = offset(after);
    if offset(found) >= before {
        return None;
    }
    // The transition: the first whole second whose offset differs from `after`'s (zone
    // changes happen on whole seconds).
    let (mut low, mut high) = (after.timestamp(), found.timestamp());
    while high - low > 1 {
        let middle = low + (high - low) / 2;
        if offset(DateTime::from_timestamp(middle, 0)?) == before {
            low = middle;
        } else {
            high = middle;
        }
    }
    let from = DateTime::from_timestamp(high, 0)?.with_timezone(tz);
    let first = cron.find_next_occurrence(&from, true).ok()?;
    let second_pass = tz
        .from_local_datetime(&first.naive_local())
        .latest()?
        .with_timezone(&Utc);
    (second_pass > after && second_pass < found).then_some(second_pass)
}

impl Recurrence {
    /// Whether n8n lets a cron match at `candidate` through, the rule having last fired at
    /// `last` (both in the schedule's time zone).
    pub(super) fn allows(self, last: &DateTime<Zone>, candidate: &DateTime<Zone>) -> bool {
        // n8n's arithmetic, including its modular wrap-arounds, so the same runs are expected.
        let (now, then, size) = match self {
            Self::Hours(size) => (candidate.hour(), last.hour(), size),
            Self::Days(size) => (candidate.ordinal(), last.ordinal(), size),
            Self::Weeks(size) => {
                let (now, then) = (us_week(candidate), us_week(last));
                return now == then || (now + 52 - then) % 52 >= size;
            }
            Self::Months(size) => {
                let months = |at: &DateTime<Zone>| at.year() * 12 + at.month0() as i32;
                return i64::from(months(candidate) - months(last)) >= i64::from(size);
            }
        };
        let modulus = if matches!(self, Self::Hours(_)) {
            24
        } else {
            365
        };
        (i64::from(now) - i64::from(then) + modulus) % modulus >= i64::from(size)
    }
}

/// moment.js's `week()` in its default (`en`) locale: weeks start on Sunday and week 1 is the
/// one containing January 1st, so a week belongs to the year its Saturday falls in.
fn us_week(at: &DateTime<Zone>) -> u32 {
    let date = at.date_naive();
    let to_saturday = 6 - date.weekday().num_days_from_sunday();
    let saturday = date + TimeDelta::days(i64::from(to_saturday));
    (saturday.ordinal() - 1) / 7 + 1
}

/// Walks one rule's fires forward from a moment treated as its last fire.
#[derive(Debug, Clone)]
pub(super) struct Cursor<'a> {
    firing: &'a Firing,
    tz: &'a Zone,
    last: DateTime<Utc>,
}

impl<'a> Cursor<'a> {
    pub(super) fn new(firing: &'a Firing, tz: &'a Zone, last: DateTime<Utc>) -> Self {
        Self { firing, tz, last }
    }

    /// The next fire, or `None` when there is none (or none within the search bounds).
    pub(super) fn next_fire(&mut self) -> Option<DateTime<Utc>> {
        let next = match self.firing {
            Firing::Period {
                period,
                whole_minutes,
            } => {
                let base = if *whole_minutes {
                    self.last.with_second(0)?.with_nanosecond(0)?
                } else {
                    self.last
                };
                base.checked_add_signed(*period)?
            }
            Firing::Cron { cron, recurrence } => {
                let last_local = self.last.with_timezone(self.tz);
                let mut candidate = cron_after(cron, self.tz, self.last)?;
                if let Some(recurrence) = recurrence {
                    let mut rejected = 0;
                    while !recurrence.allows(&last_local, &candidate.with_timezone(self.tz)) {
                        rejected += 1;
                        if rejected > MAX_CANDIDATES {
                            return None;
                        }
                        candidate = cron_after(cron, self.tz, candidate)?;
                    }
                }
                candidate
            }
        };
        self.last = next;
        Some(next)
    }
}
