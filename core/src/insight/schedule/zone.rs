//! The schedule's IANA time zone as a chrono [`TimeZone`] (croner searches chrono date-times),
//! answered by jiff from its bundled copy of the tz database.
//!
//! Why not chrono-tz: it compiles every zone's whole history into tables of 24-byte entries,
//! about 1.1 MB of the edge function's wasm (goal: the whole bundle < 1 MB). jiff bundles the
//! compact TZif files instead (about 200 KB) and reads a zone when it is first asked for. The
//! same code runs natively, so the unit tests check what the worker computes.

use chrono::{
    FixedOffset, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, Offset, TimeZone, Timelike,
};
use jiff::tz::{AmbiguousOffset, TimeZone as JiffZone};

/// An IANA time zone (UTC when a name is unknown).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Zone(JiffZone);

impl Zone {
    /// UTC.
    pub const UTC: Zone = Zone(JiffZone::UTC);

    /// The zone named `name` (`Europe/Berlin`; links like `US/Eastern` too), if the bundled
    /// database has it.
    pub fn get(name: &str) -> Option<Zone> {
        JiffZone::get(name)
            .ok()
            // jiff knows `Etc/Unknown` (UTC under another name); n8n does not.
            .filter(|zone| !zone.is_unknown())
            .map(Zone)
    }

    /// The zone's IANA name.
    pub fn name(&self) -> &str {
        self.0.iana_name().unwrap_or("UTC")
    }

    fn fixed(&self, offset: jiff::tz::Offset) -> ZoneOffset {
        ZoneOffset {
            zone: self.clone(),
            // Real zones stay within ±15 h; jiff's bound (±26 h) is chrono's (±24 h) plus two.
            fixed: FixedOffset::east_opt(offset.seconds())
                .unwrap_or(FixedOffset::east_opt(0).expect("zero is in range")),
        }
    }
}

/// The offset in force at one moment of a [`Zone`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ZoneOffset {
    zone: Zone,
    fixed: FixedOffset,
}

impl Offset for ZoneOffset {
    fn fix(&self) -> FixedOffset {
        self.fixed
    }
}

impl std::fmt::Display for ZoneOffset {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.fixed.fmt(f)
    }
}

impl TimeZone for Zone {
    type Offset = ZoneOffset;

    fn from_offset(offset: &ZoneOffset) -> Zone {
        offset.zone.clone()
    }

    fn offset_from_local_date(&self, local: &NaiveDate) -> LocalResult<ZoneOffset> {
        self.offset_from_local_datetime(&local.and_time(NaiveTime::MIN))
    }

    fn offset_from_local_datetime(&self, local: &NaiveDateTime) -> LocalResult<ZoneOffset> {
        match self.0.to_ambiguous_timestamp(civil(local)).offset() {
            AmbiguousOffset::Unambiguous { offset } => LocalResult::Single(self.fixed(offset)),
            // A wall-clock time skipped when the clocks go forward.
            AmbiguousOffset::Gap { .. } => LocalResult::None,
            // Repeated when they go back: the first pass (`before`) is the earlier moment.
            AmbiguousOffset::Fold { before, after } => {
                LocalResult::Ambiguous(self.fixed(before), self.fixed(after))
            }
        }
    }

    fn offset_from_utc_date(&self, utc: &NaiveDate) -> ZoneOffset {
        self.offset_from_utc_datetime(&utc.and_time(NaiveTime::MIN))
    }

    fn offset_from_utc_datetime(&self, utc: &NaiveDateTime) -> ZoneOffset {
        // Offsets change on whole seconds; jiff's range (years ±9999) is narrower than
        // chrono's, and a moment beyond it gets the offset at its end.
        let second = utc.and_utc().timestamp();
        let timestamp = jiff::Timestamp::from_second(second).unwrap_or(if second < 0 {
            jiff::Timestamp::MIN
        } else {
            jiff::Timestamp::MAX
        });
        self.fixed(self.0.to_offset(timestamp))
    }
}

/// `local` as jiff's civil date-time, clamped to jiff's years (±9999).
fn civil(local: &NaiveDateTime) -> jiff::civil::DateTime {
    use chrono::Datelike;
    let in_range = i16::try_from(local.year()).ok().and_then(|year| {
        // chrono's fields are in range by construction; `as` narrows small numbers.
        jiff::civil::DateTime::new(
            year,
            local.month() as i8,
            local.day() as i8,
            local.hour() as i8,
            local.minute() as i8,
            local.second() as i8,
            // chrono's leap second (nanosecond ≥ 1e9) is the last moment of the second.
            local.nanosecond().min(999_999_999) as i32,
        )
        .ok()
    });
    in_range.unwrap_or(if local.year() < 0 {
        jiff::civil::DateTime::MIN
    } else {
        jiff::civil::DateTime::MAX
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{DateTime, Utc};

    fn berlin() -> Zone {
        Zone::get("Europe/Berlin").unwrap()
    }

    fn local(text: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S").unwrap()
    }

    fn utc(text: &str) -> DateTime<Utc> {
        text.parse().unwrap()
    }

    #[test]
    fn names_resolve_and_unknown_ones_do_not() {
        assert_eq!(berlin().name(), "Europe/Berlin");
        assert_eq!(Zone::get("UTC"), Some(Zone::UTC));
        assert_eq!(Zone::UTC.name(), "UTC");
        assert!(Zone::get("US/Eastern").is_some());
        assert_eq!(Zone::get("Mars/Olympus"), None);
        assert_eq!(Zone::get("Etc/Unknown"), None);
        assert_eq!(Zone::get(""), None);
    }

    #[test]
    fn utc_moments_get_the_offset_in_force() {
        let at = |text: &str| utc(text).with_timezone(&berlin()).offset().fix();
        assert_eq!(at("2026-01-15T12:00:00Z").local_minus_utc(), 3600);
        assert_eq!(at("2026-07-15T12:00:00Z").local_minus_utc(), 7200);
        // The spring change: 01:00 UTC on the last Sunday of March.
        assert_eq!(at("2026-03-29T00:59:59Z").local_minus_utc(), 3600);
        assert_eq!(at("2026-03-29T01:00:00Z").local_minus_utc(), 7200);
        let kolkata = Zone::get("Asia/Kolkata").unwrap();
        let noon = utc("2026-03-02T06:30:00Z").with_timezone(&kolkata);
        assert_eq!(noon.naive_local(), local("2026-03-02 12:00:00"));
    }

    #[test]
    fn skipped_and_repeated_wall_clock_times() {
        let offsets = |text: &str| match berlin().offset_from_local_datetime(&local(text)) {
            LocalResult::Single(one) => vec![one.fix().local_minus_utc()],
            LocalResult::Ambiguous(first, second) => {
                vec![
                    first.fix().local_minus_utc(),
                    second.fix().local_minus_utc(),
                ]
            }
            LocalResult::None => vec![],
        };
        assert_eq!(offsets("2026-03-29 01:59:59"), vec![3600]);
        assert_eq!(offsets("2026-03-29 02:30:00"), Vec::<i32>::new());
        assert_eq!(offsets("2026-03-29 03:00:00"), vec![7200]);
        assert_eq!(offsets("2026-10-25 02:30:00"), vec![7200, 3600]);
        assert_eq!(offsets("2026-10-25 03:00:00"), vec![3600]);
        let first = berlin()
            .from_local_datetime(&local("2026-10-25 02:30:00"))
            .earliest()
            .unwrap();
        assert_eq!(first.with_timezone(&Utc), utc("2026-10-25T00:30:00Z"));
    }

    #[test]
    fn moments_beyond_jiff_s_range_do_not_panic() {
        let far = NaiveDate::from_ymd_opt(200_000, 1, 1)
            .unwrap()
            .and_time(NaiveTime::MIN);
        assert!(
            berlin()
                .offset_from_utc_datetime(&far)
                .fix()
                .local_minus_utc()
                > 0
        );
        let long_ago = NaiveDate::from_ymd_opt(-200_000, 1, 1)
            .unwrap()
            .and_time(NaiveTime::MIN);
        let _ = berlin().offset_from_local_datetime(&long_ago);
    }
}
