//! What a live refresh asks the server to render: the live regions a change touched and, in a
//! region whose rows are one table's rows keyed by id (`data-live-rows`), only the rows that
//! changed. Sent as one header, `X-Live-Regions`: space-separated region ids, each optionally
//! followed by `=` and comma-separated row keys — `dashboard-summary dashboard-workflows=k1,k2`.
//! Without the header (a first load, a reconnect, a filter or sort click) the whole page is
//! rendered; a header that does not parse is treated the same way.

use std::collections::{BTreeMap, BTreeSet};

/// The header the live bridge sends with the regions (and rows) it needs.
pub const REGIONS_HEADER: &str = "x-live-regions";
/// Longest header value honoured; a longer one means "the whole page".
const MOST_BYTES: usize = 4096;
/// Most row keys asked for in one region; past it the region is rendered whole.
pub const MOST_ROWS: usize = 32;

/// The regions and rows one refresh needs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LiveWanted {
    /// Region id → the row keys needed, or `None` for the whole region.
    regions: BTreeMap<String, Option<BTreeSet<String>>>,
}

/// What one region needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RegionWanted {
    /// Not touched: the server sends an empty stand-in and the page keeps what it shows.
    Unchanged,
    /// Everything in it.
    Whole,
    /// Only these rows (by `data-key`); the others are unchanged.
    Rows(BTreeSet<String>),
}

/// Region ids and row keys are ids, UUIDs and numbers: nothing that needs escaping (in this
/// header, or in the CSS selector the bridge looks a row up with).
pub fn is_token(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= 64
        && text
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'_')
}

impl LiveWanted {
    /// The header's meaning, or `None` (the whole page) when it is malformed or too long.
    pub fn parse(header: &str) -> Option<LiveWanted> {
        if header.len() > MOST_BYTES {
            return None;
        }
        let mut wanted = LiveWanted::default();
        for entry in header.split_whitespace() {
            let (region, rows) = match entry.split_once('=') {
                Some((region, rows)) => (region, Some(rows)),
                None => (entry, None),
            };
            if !is_token(region) {
                return None;
            }
            match rows {
                None => wanted.whole(region),
                Some(rows) => {
                    for key in rows.split(',') {
                        if !is_token(key) {
                            return None;
                        }
                        wanted.row(region, key);
                    }
                }
            }
        }
        (!wanted.regions.is_empty()).then_some(wanted)
    }

    /// The header value that asks for this.
    pub fn to_header(&self) -> String {
        let entries: Vec<String> = self
            .regions
            .iter()
            .map(|(region, rows)| match rows {
                None => region.clone(),
                Some(keys) => {
                    format!(
                        "{region}={}",
                        keys.iter().cloned().collect::<Vec<_>>().join(",")
                    )
                }
            })
            .collect();
        entries.join(" ")
    }

    /// Needs the whole of `region`.
    pub fn whole(&mut self, region: &str) {
        self.regions.insert(region.to_string(), None);
    }

    /// Needs the row `key` of `region` (unless the whole region is needed anyway); past
    /// [`MOST_ROWS`] rows the whole region is cheaper.
    pub fn row(&mut self, region: &str, key: &str) {
        let entry = self
            .regions
            .entry(region.to_string())
            .or_insert_with(|| Some(BTreeSet::new()));
        if let Some(keys) = entry {
            keys.insert(key.to_string());
            if keys.len() > MOST_ROWS {
                *entry = None;
            }
        }
    }

    /// What `region` needs.
    pub fn region(&self, region: &str) -> RegionWanted {
        match self.regions.get(region) {
            None => RegionWanted::Unchanged,
            Some(None) => RegionWanted::Whole,
            Some(Some(keys)) => RegionWanted::Rows(keys.clone()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_header_names_whole_regions_and_rows_and_reads_back_the_same() {
        let wanted = LiveWanted::parse("summary  table=b,a other").unwrap();
        assert_eq!(wanted.region("summary"), RegionWanted::Whole);
        assert_eq!(wanted.region("other"), RegionWanted::Whole);
        assert_eq!(
            wanted.region("table"),
            RegionWanted::Rows(["a".to_string(), "b".to_string()].into())
        );
        assert_eq!(wanted.region("chart"), RegionWanted::Unchanged);
        assert_eq!(wanted.to_header(), "other summary table=a,b");
        assert_eq!(LiveWanted::parse(&wanted.to_header()), Some(wanted));
    }

    #[test]
    fn a_malformed_empty_or_oversized_header_means_the_whole_page() {
        for header in [
            "",
            "   ",
            "table=",
            "table=a,,b",
            "=a",
            "<script>",
            "table=a\"b",
            "table=a;b",
            &"a".repeat(65),
            &vec!["region"; 1000].join(" "),
        ] {
            assert_eq!(LiveWanted::parse(header), None, "{header:?}");
        }
    }

    #[test]
    fn a_whole_region_outranks_its_rows_and_too_many_rows_make_it_whole() {
        let mut wanted = LiveWanted::default();
        wanted.row("table", "a");
        wanted.whole("table");
        wanted.row("table", "b");
        assert_eq!(wanted.region("table"), RegionWanted::Whole);

        let mut many = LiveWanted::default();
        for key in 0..MOST_ROWS {
            many.row("table", &key.to_string());
        }
        assert!(
            matches!(many.region("table"), RegionWanted::Rows(keys) if keys.len() == MOST_ROWS)
        );
        many.row("table", "one-more");
        assert_eq!(many.region("table"), RegionWanted::Whole);
    }
}
