//! The one rule for every outbound URL a user gives FlowPulse (n8n instances today; alert
//! webhooks later): which addresses and ports may be connected to.
//!
//! By default only public addresses. Loopback and private ranges are refused unless the
//! operator allows them (a self-hosted FlowPulse next to its n8n, or the local stack); cloud
//! metadata, link-local, multicast, unspecified and reserved ranges are never allowed; ports the
//! operator denies (the local stack denies its own services) are refused on any address.
//!
//! This module is pure: it judges an address or a URL. Each edge applies it where it connects —
//! natively after resolving the name, to the very addresses then dialled (see the `n8n` crate);
//! in the edge function to the URL, with name resolution left to the platform's own network
//! rules (see the README's security section).

use std::collections::BTreeSet;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::base_url::{BaseUrl, UrlHost};

/// What kind of address an IP is, as far as the rule cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddressClass {
    /// Routable on the internet.
    Public,
    /// 127.0.0.0/8, ::1.
    Loopback,
    /// RFC 1918, IPv6 unique-local, carrier-grade NAT (100.64.0.0/10).
    Private,
    /// 169.254.0.0/16 and fe80::/10, where cloud metadata services live.
    LinkLocal,
    /// A cloud provider's metadata service (e.g. 169.254.169.254, fd00:ec2::254).
    Metadata,
    /// Multicast and broadcast.
    Multicast,
    /// 0.0.0.0/8 and ::, which reach this host on many systems.
    Unspecified,
    /// Documentation, benchmarking, protocol-assignment and future-use ranges.
    Reserved,
}

impl AddressClass {
    /// How a message names the class.
    fn describe(self) -> &'static str {
        match self {
            Self::Public => "a public address",
            Self::Loopback => "a loopback address (this server itself)",
            Self::Private => "a private-network address",
            Self::LinkLocal => "a link-local address",
            Self::Metadata => "a cloud metadata address",
            Self::Multicast => "a multicast or broadcast address",
            Self::Unspecified => "an unspecified address",
            Self::Reserved => "a reserved address",
        }
    }
}

/// Classifies an address. IPv4 addresses embedded in IPv6 (mapped, NAT64, 6to4) are judged by
/// the IPv4 address they reach.
pub fn classify(ip: IpAddr) -> AddressClass {
    match ip {
        IpAddr::V4(v4) => classify_v4(v4),
        IpAddr::V6(v6) => classify_v6(v6),
    }
}

fn classify_v4(ip: Ipv4Addr) -> AddressClass {
    let [a, b, c, _] = ip.octets();
    match (a, b, c) {
        _ if ip == Ipv4Addr::new(169, 254, 169, 254) || ip == Ipv4Addr::new(100, 100, 100, 200) => {
            AddressClass::Metadata
        }
        (0, _, _) => AddressClass::Unspecified,
        (127, _, _) => AddressClass::Loopback,
        (10, _, _) | (192, 168, _) => AddressClass::Private,
        (172, 16..=31, _) | (100, 64..=127, _) => AddressClass::Private,
        (169, 254, _) => AddressClass::LinkLocal,
        (224..=239, _, _) => AddressClass::Multicast,
        _ if ip == Ipv4Addr::BROADCAST => AddressClass::Multicast,
        (240..=255, _, _) => AddressClass::Reserved,
        (192, 0, 0 | 2) | (192, 88, 99) | (198, 18..=19, _) | (198, 51, 100) | (203, 0, 113) => {
            AddressClass::Reserved
        }
        _ => AddressClass::Public,
    }
}

fn classify_v6(ip: Ipv6Addr) -> AddressClass {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return classify_v4(v4);
    }
    let segments = ip.segments();
    let embedded_v4 = |high: u16, low: u16| {
        let [a, b] = high.to_be_bytes();
        let [c, d] = low.to_be_bytes();
        Ipv4Addr::new(a, b, c, d)
    };
    match segments {
        // NAT64 (64:ff9b::/96) and 6to4 (2002::/16) reach an IPv4 address.
        [0x64, 0xff9b, 0, 0, 0, 0, high, low] => classify_v4(embedded_v4(high, low)),
        [0x2002, high, low, ..] => classify_v4(embedded_v4(high, low)),
        [0xfd00, 0x0ec2, 0, 0, 0, 0, 0, 0x0254] => AddressClass::Metadata,
        _ if ip.is_unspecified() => AddressClass::Unspecified,
        _ if ip.is_loopback() => AddressClass::Loopback,
        // IPv4-compatible (::a.b.c.d, deprecated), local-use NAT64, discard, Teredo, ORCHID,
        // documentation.
        [0, 0, 0, 0, 0, 0, _, _] | [0x64, 0xff9b, 1, ..] | [0x100, 0, 0, 0, ..] => {
            AddressClass::Reserved
        }
        [0x2001, 0, ..] | [0x2001, 0x10..=0x2f, ..] | [0x2001, 0xdb8, ..] => AddressClass::Reserved,
        [first, ..] if first & 0xfe00 == 0xfc00 => AddressClass::Private,
        [first, ..] if first & 0xffc0 == 0xfe80 => AddressClass::LinkLocal,
        [first, ..] if first & 0xff00 == 0xff00 => AddressClass::Multicast,
        _ => AddressClass::Public,
    }
}

/// Host names that always mean a metadata service or this machine, refused before any lookup.
fn named_class(name: &str) -> Option<AddressClass> {
    let name = name.trim_end_matches('.');
    if name == "localhost" || name.ends_with(".localhost") {
        return Some(AddressClass::Loopback);
    }
    const METADATA_NAMES: &[&str] = &[
        "metadata",
        "metadata.google.internal",
        "metadata.goog",
        "instance-data",
        "instance-data.ec2.internal",
    ];
    METADATA_NAMES
        .contains(&name)
        .then_some(AddressClass::Metadata)
}

/// Why a destination is refused. `Display` is FlowPulse's own wording, safe to store and show.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// The address (written or resolved) is of a class the policy refuses.
    #[error(
        "{host} is {}: FlowPulse only connects to n8n instances on public addresses{}",
        class.describe(),
        operator_hint(*class)
    )]
    Address {
        /// The host as the user wrote it (or the address it resolved to).
        host: String,
        /// Its class.
        class: AddressClass,
    },
    /// The port is one the operator denies.
    #[error("port {port} is reserved for this server's own services; use your n8n's address")]
    Port {
        /// The refused port.
        port: u16,
    },
    /// The name resolved to no address that may be used.
    #[error("{host} did not resolve to any address FlowPulse may connect to")]
    NoAddress {
        /// The host name.
        host: String,
    },
}

fn operator_hint(class: AddressClass) -> &'static str {
    match class {
        AddressClass::Loopback | AddressClass::Private => {
            " (the operator can allow loopback or private addresses for self-hosted setups)"
        }
        _ => "",
    }
}

/// Why a policy setting could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    /// An `allow` entry other than `loopback`, `private` or `none`.
    #[error("unknown outbound allowance {0:?}: use loopback, private, or none")]
    UnknownAllowance(String),
    /// A port that is not a number 1-65535.
    #[error("invalid port {0:?} in the denied ports")]
    BadPort(String),
}

/// Which destinations outbound calls may reach.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct OutboundPolicy {
    allow_loopback: bool,
    allow_private: bool,
    denied_ports: BTreeSet<u16>,
}

impl fmt::Debug for OutboundPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "OutboundPolicy({})", self.describe())
    }
}

impl OutboundPolicy {
    /// Public addresses only, every port: the production default.
    pub fn public_only() -> Self {
        Self::default()
    }

    /// Reads the operator's settings: `allow` is a comma-separated list of `loopback`,
    /// `private` (or empty / `none`); `denied_ports` a comma-separated list of ports.
    pub fn parse(allow: Option<&str>, denied_ports: Option<&str>) -> Result<Self, PolicyError> {
        let mut policy = Self::default();
        let entries = |text: Option<&str>| {
            text.unwrap_or("")
                .split(',')
                .map(str::trim)
                .filter(|entry| !entry.is_empty())
                .map(str::to_string)
                .collect::<Vec<_>>()
        };
        for entry in entries(allow) {
            match entry.to_ascii_lowercase().as_str() {
                "loopback" => policy.allow_loopback = true,
                "private" => policy.allow_private = true,
                "none" => {}
                _ => return Err(PolicyError::UnknownAllowance(entry)),
            }
        }
        for entry in entries(denied_ports) {
            let port = entry
                .parse::<u16>()
                .ok()
                .filter(|port| *port > 0)
                .ok_or_else(|| PolicyError::BadPort(entry.clone()))?;
            policy.denied_ports.insert(port);
        }
        Ok(policy)
    }

    /// Also allows loopback addresses.
    pub fn allowing_loopback(mut self) -> Self {
        self.allow_loopback = true;
        self
    }

    /// Also allows private-network addresses.
    pub fn allowing_private(mut self) -> Self {
        self.allow_private = true;
        self
    }

    /// Also refuses `ports`.
    pub fn denying_ports(mut self, ports: impl IntoIterator<Item = u16>) -> Self {
        self.denied_ports.extend(ports);
        self
    }

    /// True when loopback addresses are allowed.
    pub fn allows_loopback(&self) -> bool {
        self.allow_loopback
    }

    /// True when private-network addresses are allowed.
    pub fn allows_private(&self) -> bool {
        self.allow_private
    }

    /// The settings in words, for start-up logs.
    pub fn describe(&self) -> String {
        let mut allowed = vec!["public"];
        if self.allow_loopback {
            allowed.push("loopback");
        }
        if self.allow_private {
            allowed.push("private");
        }
        let ports: Vec<String> = self.denied_ports.iter().map(u16::to_string).collect();
        format!(
            "allows {}; denied ports: {}",
            allowed.join(", "),
            if ports.is_empty() {
                "none".into()
            } else {
                ports.join(", ")
            }
        )
    }

    /// Whether `ip` may be connected to (`host` names it in the refusal).
    pub fn check_ip(&self, host: &str, ip: IpAddr) -> Result<(), Refusal> {
        let class = classify(ip);
        let allowed = match class {
            AddressClass::Public => true,
            AddressClass::Loopback => self.allow_loopback,
            AddressClass::Private => self.allow_private,
            _ => false,
        };
        if allowed {
            Ok(())
        } else {
            Err(Refusal::Address {
                host: host.to_string(),
                class,
            })
        }
    }

    /// Whether `port` may be connected to.
    pub fn check_port(&self, port: u16) -> Result<(), Refusal> {
        if self.denied_ports.contains(&port) {
            Err(Refusal::Port { port })
        } else {
            Ok(())
        }
    }

    /// Everything that can be judged from the URL alone: the port, an address written in
    /// it, and names that always mean this machine or a metadata service. A name that passes
    /// still has to be checked once resolved ([`Self::check_ip`] on each address).
    pub fn check_url(&self, url: &BaseUrl) -> Result<(), Refusal> {
        self.check_port(url.port())?;
        match url.host() {
            UrlHost::Ip(ip) => self.check_ip(&ip.to_string(), ip),
            UrlHost::Name(name) => match named_class(name) {
                Some(AddressClass::Loopback) if self.allow_loopback => Ok(()),
                Some(class) => Err(Refusal::Address {
                    host: name.to_string(),
                    class,
                }),
                None => Ok(()),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    fn url(text: &str) -> BaseUrl {
        BaseUrl::parse(text).unwrap()
    }

    #[test]
    fn addresses_are_classified_by_the_ranges_they_fall_in() {
        let cases = [
            ("8.8.8.8", AddressClass::Public),
            ("2606:4700::1111", AddressClass::Public),
            ("127.0.0.1", AddressClass::Loopback),
            ("127.255.0.9", AddressClass::Loopback),
            ("::1", AddressClass::Loopback),
            ("10.1.2.3", AddressClass::Private),
            ("172.16.0.1", AddressClass::Private),
            ("172.31.255.255", AddressClass::Private),
            ("192.168.1.1", AddressClass::Private),
            ("100.64.0.1", AddressClass::Private),
            ("fd12:3456::1", AddressClass::Private),
            ("169.254.169.254", AddressClass::Metadata),
            ("100.100.100.200", AddressClass::Metadata),
            ("fd00:ec2::254", AddressClass::Metadata),
            ("169.254.1.1", AddressClass::LinkLocal),
            ("fe80::1", AddressClass::LinkLocal),
            ("224.0.0.1", AddressClass::Multicast),
            ("255.255.255.255", AddressClass::Multicast),
            ("ff02::1", AddressClass::Multicast),
            ("0.0.0.0", AddressClass::Unspecified),
            ("::", AddressClass::Unspecified),
            ("192.0.2.1", AddressClass::Reserved),
            ("198.18.0.1", AddressClass::Reserved),
            ("240.0.0.1", AddressClass::Reserved),
            ("2001:db8::1", AddressClass::Reserved),
            ("172.32.0.1", AddressClass::Public),
            ("100.128.0.1", AddressClass::Public),
        ];
        for (text, class) in cases {
            assert_eq!(classify(ip(text)), class, "{text}");
        }
    }

    #[test]
    fn ipv4_hidden_in_ipv6_is_judged_by_the_ipv4_address() {
        assert_eq!(classify(ip("::ffff:127.0.0.1")), AddressClass::Loopback);
        assert_eq!(
            classify(ip("::ffff:169.254.169.254")),
            AddressClass::Metadata
        );
        assert_eq!(classify(ip("64:ff9b::a00:1")), AddressClass::Private);
        assert_eq!(classify(ip("2002:a9fe:a9fe::1")), AddressClass::Metadata);
        assert_eq!(classify(ip("::ffff:8.8.8.8")), AddressClass::Public);
    }

    #[test]
    fn by_default_only_public_addresses_pass() {
        let policy = OutboundPolicy::public_only();
        assert!(policy.check_url(&url("https://n8n.example.com")).is_ok());
        assert!(policy.check_url(&url("http://8.8.8.8:5678")).is_ok());
        for refused in [
            "http://127.0.0.1:5678",
            "http://0x7f.1",
            "http://[::1]",
            "http://10.0.0.5",
            "http://169.254.169.254",
            "http://[::ffff:169.254.169.254]",
            "http://localhost:5678",
            "http://n8n.localhost",
            "http://metadata.google.internal",
            "http://0.0.0.0:5678",
        ] {
            assert!(policy.check_url(&url(refused)).is_err(), "{refused}");
        }
    }

    #[test]
    fn the_operator_can_allow_loopback_and_private_but_never_metadata() {
        let policy = OutboundPolicy::parse(Some("loopback, private"), None).unwrap();
        assert!(policy.check_url(&url("http://127.0.0.1:5678")).is_ok());
        assert!(policy.check_url(&url("http://localhost:5678")).is_ok());
        assert!(policy.check_url(&url("http://192.168.1.20")).is_ok());
        assert!(policy.check_url(&url("http://169.254.169.254")).is_err());
        assert!(policy
            .check_url(&url("http://metadata.google.internal"))
            .is_err());
        assert!(policy.check_url(&url("http://224.0.0.1")).is_err());
    }

    #[test]
    fn denied_ports_are_refused_on_every_address() {
        let policy = OutboundPolicy::parse(Some("loopback"), Some("8788, 54321")).unwrap();
        assert_eq!(
            policy.check_url(&url("http://127.0.0.1:8788")),
            Err(Refusal::Port { port: 8788 })
        );
        assert!(policy.check_url(&url("http://localhost:54321")).is_err());
        assert!(policy.check_url(&url("http://127.0.0.1:5678")).is_ok());
    }

    #[test]
    fn bad_settings_are_named() {
        assert_eq!(
            OutboundPolicy::parse(Some("loopback,everything"), None),
            Err(PolicyError::UnknownAllowance("everything".into()))
        );
        assert_eq!(
            OutboundPolicy::parse(None, Some("80,http")),
            Err(PolicyError::BadPort("http".into()))
        );
        assert_eq!(
            OutboundPolicy::parse(Some("none"), Some("")),
            Ok(OutboundPolicy::public_only())
        );
    }

    #[test]
    fn a_refusal_says_what_and_why_in_flowpulses_words() {
        let refusal = OutboundPolicy::public_only()
            .check_url(&url("http://169.254.169.254"))
            .unwrap_err();
        assert_eq!(
            refusal.to_string(),
            "169.254.169.254 is a cloud metadata address: FlowPulse only connects to n8n \
             instances on public addresses"
        );
        let loopback = OutboundPolicy::public_only()
            .check_ip("n8n.example.com", ip("127.0.0.1"))
            .unwrap_err();
        assert!(
            loopback.to_string().contains("operator can allow"),
            "{loopback}"
        );
    }
}
