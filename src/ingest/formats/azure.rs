//! Azure Application Gateway and Front Door access logs -> records.
//!
//! Input: one resource log record per line, as Azure Monitor's diagnostic
//! settings write them to a storage account (`.../PT1H.json`) or an event hub
//! (<https://learn.microsoft.com/en-us/azure/azure-monitor/essentials/resource-logs-schema>):
//! `category`, `resourceId`, a time, and the request in `properties`.
//!
//! - Application Gateway, `ApplicationGatewayAccessLog`
//!   (<https://learn.microsoft.com/en-us/azure/application-gateway/monitor-application-gateway-reference#access-log-category>):
//!   `timeStamp`, `backendPoolName`, and `properties` `clientIP`,
//!   `httpMethod`, `requestUri`, `httpStatus`, `timeTaken`, and on the v2
//!   SKU `transactionId` (sent to the backend as `X-AppGW-Trace-Id`),
//!   `serverRouted` and `serverResponseLatency`. `timeTaken` is in seconds on
//!   v2 and in milliseconds on v1, whose records have none of the v2 fields:
//!   the unit is chosen by the SKU the record shows.
//! - Front Door (Standard/Premium `FrontDoorAccessLog`, classic
//!   `FrontdoorAccessLog`,
//!   <https://learn.microsoft.com/en-us/azure/frontdoor/monitor-front-door-reference#resource-logs>):
//!   `time` (when the response left the edge), and `properties`
//!   `trackingReference` (sent to the origin as `X-Azure-Ref`), `httpMethod`,
//!   `requestUri`, `httpStatusCode`, `clientIp`, `timeTaken` in seconds, and
//!   the origin (`originName`, else `originIp`).
//!
//! Output: a [`Record`] with the time (taken as the end of the request),
//! service (the gateway or profile named in `resourceId`, in lower case, as
//! Azure upper-cases it there), method, path, status, duration, upstream time
//! (v2), client, upstream (backend pool or server, origin) and request id.

use std::borrow::Cow;

use serde::Deserialize;
use serde_json::value::RawValue;

use super::access_scan::parse_any_time;
use super::fields::{ns_per, parse_duration, Unit};
use super::{FormatKind, LineFormat, Parsed, Sniff};
use crate::ingest::event::{DurationSource, IdKind, Record, TimeUnit, UnitBasis};

/// Is `line` an Application Gateway or Front Door access log record?
pub fn sniff(line: &str) -> Sniff {
    if line.starts_with('{')
        && line.contains("\"category\"")
        && line.contains("AccessLog\"")
        && AzureFormat.parse_line(line, &mut Record::default()) == Parsed::Entry
    {
        Sniff::Yes
    } else {
        Sniff::No
    }
}

/// The Azure load balancer access log parser.
#[derive(Debug, Default)]
pub struct AzureFormat;

impl LineFormat for AzureFormat {
    fn kind(&self) -> FormatKind {
        FormatKind::Azure
    }

    fn parse_line<'a>(&self, line: &'a str, out: &mut Record<'a>) -> Parsed {
        let Ok(r) = serde_json::from_str::<Resource<'a>>(line) else {
            return Parsed::Unparsed;
        };
        let gateway = match r.category.as_deref() {
            Some("ApplicationGatewayAccessLog") => true,
            Some("FrontDoorAccessLog" | "FrontdoorAccessLog") => false,
            _ => return Parsed::Unparsed,
        };
        let (Some(p), Some(time)) = (r.properties, r.time) else {
            return Parsed::Unparsed;
        };
        let Some((ns, zone, _)) = parse_any_time(time.as_bytes()) else {
            return Parsed::Unparsed;
        };
        out.time_ns = Some(ns);
        out.time_without_zone = !zone;
        out.service = r.resource_id.as_deref().and_then(resource_name);
        out.method = p.http_method;
        out.path = p.request_uri;
        out.status = int(p.http_status)
            .and_then(|s| u16::try_from(s).ok())
            .filter(|s| (100..1000).contains(s));
        if let Some(c) = p.client_ip {
            out.set_client(c);
        }
        // A v1 gateway writes none of the fields v2 added.
        let v1 = gateway && p.transaction_id.is_none() && p.server_routed.is_none();
        let unit = if v1 { TimeUnit::Ms } else { TimeUnit::S };
        if let Some(ns) = number(p.time_taken).map(|n| (n * ns_per(unit)).round() as u64) {
            let source = DurationSource {
                field: "timeTaken",
                unit,
                basis: UnitBasis::Format,
            };
            out.set_duration(ns, source);
        }
        out.upstream_ns = p
            .server_response_latency
            .and_then(|l| parse_duration(&l, Unit::S));
        let upstreams = [r.backend_pool, p.server_routed, p.origin_name, p.origin_ip];
        for u in upstreams.into_iter().flatten() {
            out.set_upstream(u);
        }
        if let Some(id) = p.transaction_id {
            out.put_id(IdKind::Request, id, "transactionId");
        }
        if let Some(id) = p.tracking_reference {
            out.put_id(IdKind::Request, id, "trackingReference");
        }
        Parsed::Entry
    }
}

/// The last segment of a resource id, in lower case
/// (`/SUBSCRIPTIONS/../APPLICATIONGATEWAYS/SHOP-APPGW` -> `shop-appgw`).
fn resource_name(id: &str) -> Option<Cow<'static, str>> {
    let name = id.trim_end_matches('/').rsplit('/').next()?;
    (!name.is_empty()).then(|| Cow::Owned(name.to_ascii_lowercase()))
}

/// A JSON number or a number in a string (`0.034`, `"0.034"`); `-` and empty are none.
fn number(raw: Option<&RawValue>) -> Option<f64> {
    let n: f64 = raw?.get().trim_matches('"').parse().ok()?;
    (n.is_finite() && n >= 0.0).then_some(n)
}

fn int(raw: Option<&RawValue>) -> Option<u64> {
    raw?.get().trim_matches('"').parse().ok()
}

#[derive(Deserialize)]
struct Resource<'a> {
    #[serde(borrow, alias = "timeStamp")]
    time: Option<Cow<'a, str>>,
    #[serde(rename = "resourceId", borrow)]
    resource_id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    category: Option<Cow<'a, str>>,
    #[serde(rename = "backendPoolName", borrow)]
    backend_pool: Option<Cow<'a, str>>,
    #[serde(borrow)]
    properties: Option<Properties<'a>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Properties<'a> {
    #[serde(borrow)]
    http_method: Option<Cow<'a, str>>,
    #[serde(borrow)]
    request_uri: Option<Cow<'a, str>>,
    #[serde(borrow, alias = "httpStatusCode")]
    http_status: Option<&'a RawValue>,
    #[serde(rename = "clientIP", alias = "clientIp", borrow)]
    client_ip: Option<Cow<'a, str>>,
    #[serde(borrow)]
    time_taken: Option<&'a RawValue>,
    #[serde(borrow)]
    server_response_latency: Option<Cow<'a, str>>,
    #[serde(borrow)]
    transaction_id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    server_routed: Option<Cow<'a, str>>,
    #[serde(borrow)]
    tracking_reference: Option<Cow<'a, str>>,
    #[serde(borrow)]
    origin_name: Option<Cow<'a, str>>,
    #[serde(rename = "originIp", alias = "originIP", borrow)]
    origin_ip: Option<Cow<'a, str>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    // The v2 access log example of the Application Gateway reference.
    const V2: &str = r#"{"timeStamp":"2021-10-14T22:17:11+00:00","resourceId":"/SUBSCRIPTIONS/{subscriptionId}/RESOURCEGROUPS/{resourceGroupName}/PROVIDERS/MICROSOFT.NETWORK/APPLICATIONGATEWAYS/{applicationGatewayName}","listenerName":"HTTP-Listener","ruleName":"Storage-Static-Rule","backendPoolName":"StaticStorageAccount","backendSettingName":"StorageStatic-HTTPS-Setting","operationName":"ApplicationGatewayAccess","category":"ApplicationGatewayAccessLog","properties":{"instanceId":"appgw_2","clientIP":"185.42.129.24","clientPort":45057,"httpMethod":"GET","originalRequestUriWithArgs":"/","requestUri":"/","requestQuery":"","userAgent":"Mozilla/5.0 (Windows NT 6.1; WOW64; Trident/7.0; rv:11.0) like Gecko","httpStatus":200,"httpVersion":"HTTP/1.1","receivedBytes":184,"sentBytes":466,"clientResponseTime":0,"timeTaken":0.034,"WAFEvaluationTime":"0.000","WAFMode":"Detection","transactionId":"592d1649f75a8d8d6ebd9ef6c3b7e8e5","sslEnabled":"on","sslCipher":"ECDHE-RSA-AES256-GCM-SHA384","sslProtocol":"TLSv1.2","sslClientVerify":"NONE","sslClientCertificateFingerprint":"","sslClientCertificateIssuerName":"","serverRouted":"52.239.221.65:443","serverStatus":"200","serverResponseLatency":"0.028","upstreamSourcePort":"21564","originalHost":"20.110.30.194","host":"20.110.30.194","error_info":"ERRORINFO_NO_ERROR","contentType":"application/octet-stream"}}"#;

    #[test]
    fn application_gateway_v2() {
        let mut r = Record::default();
        assert_eq!(AzureFormat.parse_line(V2, &mut r), Parsed::Entry);
        assert_eq!(r.time_ns, Some(1_634_249_831_000_000_000));
        assert_eq!(
            (r.duration_ns, r.upstream_ns),
            (Some(34_000_000), Some(28_000_000))
        );
        let src = r.duration_source.unwrap();
        assert_eq!((src.field, src.unit), ("timeTaken", TimeUnit::S));
        assert_eq!(r.status, Some(200));
        assert_eq!(r.service.as_deref(), Some("{applicationgatewayname}"));
        assert_eq!(r.upstream.as_deref(), Some("StaticStorageAccount"));
        assert_eq!(r.client.as_deref(), Some("185.42.129.24"));
        assert_eq!(
            r.request_id.as_deref(),
            Some("592d1649f75a8d8d6ebd9ef6c3b7e8e5")
        );
        assert_eq!(sniff(V2), Sniff::Yes);
    }

    #[test]
    fn application_gateway_v1_times_are_milliseconds() {
        let v1 = r#"{"resourceId":"/SUBSCRIPTIONS/X/RESOURCEGROUPS/RG/PROVIDERS/MICROSOFT.NETWORK/APPLICATIONGATEWAYS/GW1","operationName":"ApplicationGatewayAccess","time":"2017-04-26T19:27:38Z","category":"ApplicationGatewayAccessLog","properties":{"instanceId":"ApplicationGatewayRole_IN_0","clientIP":"191.96.249.97","clientPort":46886,"httpMethod":"GET","requestUri":"/phpmyadmin/scripts/setup.php","requestQuery":"X-AzureApplicationGateway-CACHE-HIT=0&SERVER-ROUTED=10.4.0.4&X-AzureApplicationGateway-LOG-ID=874f1f0f-6807-41c9-b7bc-f3cfa74aa0b1&SERVER-STATUS=404","userAgent":"-","httpStatus":404,"httpVersion":"HTTP/1.0","receivedBytes":65,"sentBytes":553,"timeTaken":205,"sslEnabled":"off"}}"#;
        let mut r = Record::default();
        assert_eq!(AzureFormat.parse_line(v1, &mut r), Parsed::Entry);
        assert_eq!(r.duration_ns, Some(205_000_000));
        assert_eq!(r.duration_source.unwrap().unit, TimeUnit::Ms);
        assert_eq!((r.status, r.service.as_deref()), (Some(404), Some("gw1")));
    }

    #[test]
    fn other_records_are_not_access_logs() {
        for line in [
            r#"{"time":"2024-03-01T12:00:00Z","category":"ApplicationGatewayFirewallLog","properties":{"httpStatus":403}}"#,
            r#"{"time":"2024-03-01T12:00:00Z","msg":"AccessLog\"","category":"x"}"#,
        ] {
            assert_eq!(sniff(line), Sniff::No, "{line}");
        }
    }
}
