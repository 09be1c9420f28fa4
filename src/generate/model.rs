//! The simulated shop: which services a request visits, how long each takes,
//! and where it fails.
//!
//! Input: [`GenOptions`] and a request number. Output: a [`Request`] with one
//! [`Span`] per service call, in call order (edge first). Times are in
//! microseconds since the Unix epoch; durations are whole milliseconds so that
//! every format can write them exactly. A parent span always contains its
//! children: its duration is rounded up from the end of its last child.

use super::rng::Rng;
use super::GenOptions;

/// The services of the shop.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Svc {
    Edge,
    Auth,
    Orders,
    Inventory,
    Payments,
    Recommendation,
    Cart,
}

impl Svc {
    pub fn name(self) -> &'static str {
        match self {
            Svc::Edge => "edge",
            Svc::Auth => "auth",
            Svc::Orders => "orders",
            Svc::Inventory => "inventory",
            Svc::Payments => "payments",
            Svc::Recommendation => "recommendation",
            Svc::Cart => "cart",
        }
    }
}

/// One service's part of a request.
#[derive(Clone, Debug)]
pub struct Span {
    pub svc: Svc,
    pub method: &'static str,
    /// The path template the operation is named after (`/api/orders/{id}`).
    pub route: &'static str,
    /// The path as requested (ids filled in, maybe a query).
    pub path: String,
    pub status: u16,
    pub start_us: i64,
    pub dur_ms: u64,
    pub span_id: String,
    /// Index of the calling span in [`Request::spans`].
    pub parent: Option<usize>,
    /// This span failed by itself (not because a callee failed).
    pub own_error: bool,
}

impl Span {
    pub fn end_us(&self) -> i64 {
        self.start_us + self.dur_ms as i64 * 1000
    }

    pub fn is_error(&self) -> bool {
        self.status >= 500
    }

    /// `METHOD /route`, the operation name the truth uses.
    pub fn operation(&self) -> String {
        format!("{} {}", self.method, self.route)
    }
}

/// One request through the shop.
#[derive(Clone, Debug)]
pub struct Request {
    pub index: u64,
    pub trace_id: String,
    /// nginx `$request_id`: 32 hex digits, passed to every service.
    pub request_id: String,
    pub client: [u8; 4],
    pub agent: usize,
    pub spans: Vec<Span>,
}

impl Request {
    /// The service where the failure of this request started, if it failed.
    pub fn error_origin(&self) -> Option<Svc> {
        if !self.spans.first()?.is_error() {
            return None;
        }
        self.spans.iter().rev().find(|s| s.own_error).map(|s| s.svc)
    }
}

/// Makes requests one after another.
pub struct Sim {
    rng: Rng,
    start_us: i64,
    step_us: i64,
    incident: (i64, i64),
}

/// Per-million chances.
const AUTH_DENIED: u64 = 15_000;
const INVENTORY_BASE_ERROR: u64 = 1_000;
const INVENTORY_INCIDENT_ERROR: u64 = 350_000;
const PAYMENTS_ERROR: u64 = 10_000;
const RECOMMENDATION_ERROR: u64 = 2_000;
const CART_ERROR: u64 = 1_000;
const TAIL: u64 = 10_000;
/// How much slower inventory is during the incident.
pub const INCIDENT_FACTOR: u64 = 10;
pub const INCIDENT_ERROR_PPM: u64 = INVENTORY_INCIDENT_ERROR;

impl Sim {
    pub fn new(opts: &GenOptions) -> Sim {
        let start_us = opts.start_ms * 1000;
        let step_us = (opts.duration_s as i64 * 1_000_000 / opts.requests.max(1) as i64).max(1);
        let inc = start_us + opts.incident_start_s as i64 * 1_000_000;
        Sim {
            rng: Rng::new(opts.seed),
            start_us,
            step_us,
            incident: (inc, inc + opts.incident_len_s as i64 * 1_000_000),
        }
    }

    fn in_incident(&self, t_us: i64) -> bool {
        (self.incident.0..self.incident.1).contains(&t_us)
    }

    /// A service time in ms: bell-shaped, with a rare slow tail.
    fn service_ms(&mut self, mean: u64, spread: u64) -> u64 {
        let d = self.rng.bell(mean, spread);
        if self.rng.chance(TAIL) {
            d * self.rng.range(3, 8)
        } else {
            d
        }
    }

    fn span(&mut self, svc: Svc, method: &'static str, route: &'static str, path: String) -> Span {
        Span {
            svc,
            method,
            route,
            path,
            status: 200,
            start_us: 0,
            dur_ms: 1,
            span_id: self.rng.hex_string(16),
            parent: None,
            own_error: false,
        }
    }

    /// Request number `index` (requests arrive in index order).
    pub fn request(&mut self, index: u64) -> Request {
        let arrival = self.start_us
            + index as i64 * self.step_us
            + self.rng.below(self.step_us as u64) as i64;
        let trace_id = self.rng.hex_string(32);
        let request_id = self.rng.hex_string(32);
        let r = self.rng.next_u64();
        let client = [
            10,
            (r >> 8) as u8 % 4,
            (r >> 16) as u8,
            (r >> 24) as u8 % 250 + 2,
        ];
        let agent = (r >> 32) as usize;
        let mut spans = Vec::with_capacity(5);

        let kind = self.rng.below(100);
        let id = self.rng.range(10_000, 99_999);
        let (method, route, path) = match kind {
            0..=24 => ("POST", "/api/orders", "/api/orders".to_string()),
            25..=54 => ("GET", "/api/orders/{id}", format!("/api/orders/{id}")),
            55..=79 => (
                "GET",
                "/api/recommendations",
                format!("/api/recommendations?user={id}&limit=10"),
            ),
            _ => ("GET", "/api/cart/{id}", format!("/api/cart/{id}")),
        };
        let mut edge = self.span(Svc::Edge, method, route, path);
        edge.start_us = arrival;
        spans.push(edge);

        let mut auth = self.span(Svc::Auth, "POST", "/verify", "/verify".into());
        auth.parent = Some(0);
        auth.start_us = arrival + self.rng.range(200, 800) as i64;
        auth.dur_ms = self.service_ms(4, 2);
        let mut last_end = auth.end_us();
        if self.rng.chance(AUTH_DENIED) {
            auth.status = 401;
            spans[0].status = 401;
        }
        spans.push(auth);

        if spans[0].status == 200 {
            let t = last_end + self.rng.range(100, 500) as i64;
            last_end = match kind {
                0..=54 => self.orders(&mut spans, t, kind <= 24, id),
                55..=79 => self.leaf(&mut spans, t, Svc::Recommendation, id),
                _ => self.leaf(&mut spans, t, Svc::Cart, id),
            };
            spans[0].status = spans[2].status;
        }
        close(&mut spans[0], last_end + self.rng.range(200, 1500) as i64);
        Request {
            index,
            trace_id,
            request_id,
            client,
            agent,
            spans,
        }
    }

    /// orders -> inventory (-> payments when creating). Returns the end of orders.
    fn orders(&mut self, spans: &mut Vec<Span>, start: i64, create: bool, id: u64) -> i64 {
        let me = spans.len();
        let mut o = if create {
            self.span(Svc::Orders, "POST", "/orders", "/orders".into())
        } else {
            self.span(Svc::Orders, "GET", "/orders/{id}", format!("/orders/{id}"))
        };
        o.start_us = start;
        o.parent = Some(0);
        o.status = if create { 201 } else { 200 };
        spans.push(o);

        let sku = self.rng.range(1000, 9999);
        let mut inv = if create {
            self.span(
                Svc::Inventory,
                "POST",
                "/stock/{id}/reserve",
                format!("/stock/{sku}/reserve"),
            )
        } else {
            self.span(
                Svc::Inventory,
                "GET",
                "/stock/{id}",
                format!("/stock/{sku}"),
            )
        };
        inv.parent = Some(me);
        inv.start_us = start + self.rng.range(500, 3000) as i64;
        let incident = self.in_incident(inv.start_us);
        inv.dur_ms = if create {
            self.service_ms(15, 8)
        } else {
            self.service_ms(8, 4)
        };
        if incident {
            inv.dur_ms *= INCIDENT_FACTOR;
        }
        let fail = if incident {
            INVENTORY_INCIDENT_ERROR
        } else {
            INVENTORY_BASE_ERROR
        };
        if self.rng.chance(fail) {
            inv.status = 500;
            inv.own_error = true;
        }
        let mut end = inv.end_us();
        let inv_failed = inv.is_error();
        spans.push(inv);

        if inv_failed {
            spans[me].status = 502;
        } else if create {
            let mut pay = self.span(Svc::Payments, "POST", "/charge", "/charge".into());
            pay.parent = Some(me);
            pay.start_us = end + self.rng.range(200, 800) as i64;
            if self.rng.chance(PAYMENTS_ERROR) {
                pay.status = 500;
                pay.own_error = true;
                pay.dur_ms = self.rng.bell(40, 10);
                spans[me].status = 502;
            } else {
                pay.dur_ms = self.service_ms(120, 60);
                if self.rng.chance(15_000) {
                    pay.dur_ms *= self.rng.range(8, 15);
                }
            }
            end = pay.end_us();
            spans.push(pay);
        }
        close(&mut spans[me], end + self.rng.range(300, 2000) as i64);
        spans[me].end_us()
    }

    /// A service that calls nothing else. Returns its end.
    fn leaf(&mut self, spans: &mut Vec<Span>, start: i64, svc: Svc, id: u64) -> i64 {
        let (mut s, mean, spread, fail) = match svc {
            Svc::Recommendation => (
                self.span(
                    svc,
                    "GET",
                    "/recommendations",
                    format!("/recommendations?user={id}&limit=10"),
                ),
                25,
                10,
                RECOMMENDATION_ERROR,
            ),
            _ => (
                self.span(svc, "GET", "/cart/{id}", format!("/cart/{id}")),
                6,
                3,
                CART_ERROR,
            ),
        };
        s.parent = Some(0);
        s.start_us = start;
        s.dur_ms = self.service_ms(mean, spread);
        if self.rng.chance(fail) {
            s.status = 500;
            s.own_error = true;
        }
        let end = s.end_us();
        spans.push(s);
        end
    }
}

/// Sets the duration of `span` to end at or after `end_us`, in whole ms.
fn close(span: &mut Span, end_us: i64) {
    span.dur_ms = ((end_us - span.start_us + 999) / 1000).max(1) as u64;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sim(requests: u64) -> (Sim, GenOptions) {
        let opts = GenOptions {
            requests,
            ..GenOptions::default()
        };
        (Sim::new(&opts), opts)
    }

    #[test]
    fn parents_contain_their_children() {
        let (mut s, _) = sim(2000);
        for i in 0..2000 {
            let r = s.request(i);
            assert_eq!(r.spans[0].svc, Svc::Edge);
            for sp in &r.spans[1..] {
                let p = &r.spans[sp.parent.unwrap()];
                assert!(
                    p.start_us <= sp.start_us && sp.end_us() <= p.end_us(),
                    "{r:?}"
                );
            }
        }
    }

    #[test]
    fn failures_propagate_to_the_edge() {
        let (mut s, opts) = sim(20_000);
        let (mut inv_origin, mut other_origin) = (0, 0);
        for i in 0..20_000 {
            let r = s.request(i);
            let edge_failed = r.spans[0].is_error();
            let any_own = r.spans.iter().any(|s| s.own_error);
            assert_eq!(edge_failed, any_own, "{r:?}");
            match r.error_origin() {
                Some(Svc::Inventory) => {
                    inv_origin += 1;
                    assert_eq!(r.spans[0].status, 502);
                }
                Some(_) => other_origin += 1,
                None => {}
            }
        }
        assert!(
            inv_origin > 3 * other_origin,
            "{inv_origin} vs {other_origin}"
        );
        assert!(opts.incident_len_s > 0);
    }
}
