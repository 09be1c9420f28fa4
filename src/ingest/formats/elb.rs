//! AWS Elastic Load Balancing access logs -> records.
//!
//! Input: one line of an Application Load Balancer log
//! (<https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-access-logs.html#access-log-entry-format>)
//! or of a Classic Load Balancer log
//! (<https://docs.aws.amazon.com/elasticloadbalancing/latest/classic/access-log-collection.html#access-log-entry-format>);
//! ALB lines start with their type (`http`, `https`, `h2`, `grpcs`, `ws`,
//! `wss`), classic ones with the time. Output: a [`Record`] with the time
//! (when the load balancer answered), the load balancer's name as service,
//! client, target as upstream, status (the one the client got), method and
//! URL, request id (the `Root` of the `X-Amzn-Trace-Id` the ALB adds), the
//! duration (request + target + response processing times, in seconds) and
//! the upstream time (the target's). A processing time of `-1` means the
//! target did not answer: the ALB's duration is then the time from
//! `request_creation_time` to `time`, and a classic load balancer's is unknown.
//!
//! Both layouts are [`columns`](super::columns) tables; fields AWS appends
//! later are ignored, as AWS asks.

use std::sync::LazyLock;

use super::columns::{Col, Sep, Table};
use super::fields::Unit;
use super::{FormatKind, LineFormat, Parsed, Sniff};
use crate::ingest::event::{IdKind, Record};

/// The classic layout; an ALB line is the same with its type in front and
/// more fields after.
const CLASSIC: [Col; 12] = [
    Col::Time,
    Col::LbName,
    Col::Client,
    Col::Upstream,
    Col::DurationPart(Unit::S),
    Col::UpstreamPart(Unit::S),
    Col::DurationPart(Unit::S),
    Col::Status,
    Col::Skip, // backend (target) status code
    Col::Skip, // received_bytes
    Col::Skip, // sent_bytes
    Col::Request,
];

static CLB: LazyLock<Table> = LazyLock::new(|| {
    let mut t = Table::new(CLASSIC.to_vec(), Sep::Spaces);
    t.parts_name = "request+backend+response_processing_time";
    t
});

static ALB: LazyLock<Table> = LazyLock::new(|| {
    let after = [
        Col::Skip, // user_agent
        Col::Skip, // ssl_cipher
        Col::Skip, // ssl_protocol
        Col::Skip, // target_group_arn
        Col::Id(IdKind::Request, "X-Amzn-Trace-Id"),
        Col::Skip, // domain_name
        Col::Skip, // chosen_cert_arn
        Col::Skip, // matched_rule_priority
        Col::StartTime("time-request_creation_time"),
    ];
    let cols = std::iter::once(Col::Skip) // type
        .chain(CLASSIC)
        .chain(after)
        .collect();
    let mut t = Table::new(cols, Sep::Spaces);
    t.min_columns = 1 + CLASSIC.len();
    t.parts_name = PARTS;
    t
});

/// How `inspect` names a duration added up from the three processing times.
const PARTS: &str = "request+target+response_processing_time";

/// The layout `line` is in, by its first word.
fn table(line: &str) -> Option<&'static Table> {
    let first = line.split(' ').next()?;
    match first {
        "http" | "https" | "h2" | "grpcs" | "ws" | "wss" => Some(&ALB),
        _ if first.as_bytes().first()?.is_ascii_digit() => Some(&CLB),
        _ => None,
    }
}

/// Is `line` an ALB or classic ELB access line?
pub fn sniff(line: &str) -> Sniff {
    match ElbFormat.parse_line(line, &mut Record::default()) {
        Parsed::Entry => Sniff::Yes,
        _ => Sniff::No,
    }
}

/// The AWS load balancer access log parser.
#[derive(Debug, Default)]
pub struct ElbFormat;

impl LineFormat for ElbFormat {
    fn kind(&self) -> FormatKind {
        FormatKind::Elb
    }

    fn parse_line<'a>(&self, line: &'a str, out: &mut Record<'a>) -> Parsed {
        let Some(t) = table(line) else {
            return Parsed::Unparsed;
        };
        // Every load balancer line names the load balancer and two addresses.
        match t.parse(line, out) {
            Parsed::Entry if out.time_ns.is_some() && out.service.is_some() => Parsed::Entry,
            _ => {
                out.clear();
                Parsed::Unparsed
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: u64 = 1_000_000;

    fn parse(line: &str) -> (Parsed, Record<'_>) {
        let mut r = Record::default();
        let p = ElbFormat.parse_line(line, &mut r);
        (p, r)
    }

    #[test]
    fn alb_documentation_examples() {
        // "Example HTTP entry" of the ALB documentation.
        let (p, r) = parse(
            r#"http 2018-07-02T22:23:00.186641Z app/my-loadbalancer/50dc6c495c0c9188 192.168.131.39:2817 10.0.0.1:80 0.000 0.001 0.000 200 200 34 366 "GET http://www.example.com:80/ HTTP/1.1" "curl/7.46.0" - - arn:aws:elasticloadbalancing:us-east-2:123456789012:targetgroup/my-targets/73e2d6bc24d8a067 "Root=1-58337262-36d228ad5d99923122bbe354" "-" "-" 0 2018-07-02T22:22:48.364000Z "forward" "-" "-" "10.0.0.1:80" "200" "-" "-" TID_1234abcd5678ef90"#,
        );
        assert_eq!(p, Parsed::Entry);
        assert_eq!(r.time_ns, Some(1_530_570_180_186_641_000));
        assert_eq!(r.service.as_deref(), Some("my-loadbalancer"));
        assert_eq!(r.client.as_deref(), Some("192.168.131.39"));
        assert_eq!(r.upstream.as_deref(), Some("10.0.0.1:80"));
        assert_eq!(r.duration_ns, Some(MS));
        assert_eq!(r.upstream_ns, Some(MS));
        assert_eq!(r.status, Some(200));
        assert_eq!(r.method.as_deref(), Some("GET"));
        assert_eq!(r.path.as_deref(), Some("http://www.example.com:80/"));
        assert_eq!(
            r.request_id.as_deref(),
            Some("1-58337262-36d228ad5d99923122bbe354")
        );
        assert_eq!(r.id_fields, vec!["X-Amzn-Trace-Id"]);
        // No target could be reached: -1 and no target.
        let (p, r) = parse(
            r#"https 2018-07-02T22:23:00.186641Z app/my-loadbalancer/50dc6c495c0c9188 192.168.131.39:2817 - 0.001 -1 -1 502 - 34 366 "GET https://www.example.com:443/ HTTP/1.1" "curl/7.46.0" ECDHE-RSA-AES128-GCM-SHA256 TLSv1.2 arn:aws:elasticloadbalancing:us-east-2:123456789012:targetgroup/my-targets/73e2d6bc24d8a067 "Root=1-58337281-1d84f3d73c47ec4e58577259" "www.example.com" "arn:aws:acm:us-east-2:123456789012:certificate/12345678-1234-1234-1234-123456789012" 1 2018-07-02T22:22:48.364000Z "forward" "-" "-" "-" "-" "-" "-""#,
        );
        assert_eq!(p, Parsed::Entry);
        assert_eq!((r.status, r.upstream_ns), (Some(502), None));
        assert_eq!(
            r.duration_ns,
            Some(11_822_641_000),
            "time - request_creation_time"
        );
        assert_eq!(r.upstream, None);
    }

    #[test]
    fn classic_documentation_examples() {
        let (p, r) = parse(
            r#"2015-05-13T23:39:43.945958Z my-loadbalancer 192.168.131.39:2817 10.0.0.1:80 0.000073 0.001048 0.000057 200 200 0 29 "GET http://www.example.com:80/ HTTP/1.1" "curl/7.38.0" - -"#,
        );
        assert_eq!(p, Parsed::Entry);
        assert_eq!(r.service.as_deref(), Some("my-loadbalancer"));
        assert_eq!(r.duration_ns, Some(1_178_000));
        assert_eq!(r.upstream_ns, Some(1_048_000));
        // A TCP listener: no status, `- - - ` as the request.
        let (p, r) = parse(
            r#"2015-05-13T23:39:43.945958Z my-loadbalancer 192.168.131.39:2817 10.0.0.1:80 0.001069 0.000028 0.000041 - - 82 305 "- - - " "-" - -"#,
        );
        assert_eq!(p, Parsed::Entry);
        assert_eq!((r.status, r.method), (None, None));
    }

    #[test]
    fn other_lines_are_not_elb() {
        for line in [
            "2024-03-01T12:00:00Z INFO [main] c.e.App - started in 1.2 s with 3 beans",
            "http://example.com/ is down",
            r#"127.0.0.1 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.0" 200 2326"#,
            "",
        ] {
            assert_eq!(sniff(line), Sniff::No, "{line}");
        }
    }
}
