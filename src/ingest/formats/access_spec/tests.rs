use super::*;

const MS: u64 = 1_000_000;
const INGRESS: &str = r#"$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" $request_length $request_time [$proxy_upstream_name] [$proxy_alternative_upstream_name] $upstream_addr $upstream_response_length $upstream_response_time $upstream_status $req_id"#;

fn run<'a>(spec: &Spec, line: &'a str) -> (Parsed, Record<'a>) {
    let mut r = Record::default();
    let p = spec.parse(line, &mut r);
    (p, r)
}

#[test]
fn nginx_ingress_format() {
    let spec = Spec::nginx(INGRESS).unwrap();
    let (p, r) = run(
        &spec,
        r#"192.168.64.14 - - [07/Feb/2020:12:02:42 +0000] "GET /v2/some HTTP/1.1" 200 61 "-" "Mozilla/5.0 (Macintosh; Intel Mac OS X 10.14; rv:72.0) Gecko/20100101 Firefox/72.0" 348 0.001 [default-web2-8080] [] 172.17.0.6:8080, 172.17.0.7:8080 61, 100 0.100, 0.004 200, 203 835136ae24486dbb4156dcbe21f5d402"#,
    );
    assert_eq!(p, Parsed::Entry);
    assert_eq!(r.time_ns, Some(1_581_076_962_000_000_000));
    assert_eq!(r.method.as_deref(), Some("GET"));
    assert_eq!(r.path.as_deref(), Some("/v2/some"));
    assert_eq!(r.message, "GET /v2/some HTTP/1.1");
    assert_eq!(r.status, Some(200));
    assert_eq!(r.duration_ns, Some(MS));
    assert_eq!(r.upstream_ns, Some(104 * MS));
    assert_eq!(
        r.request_id.as_deref(),
        Some("835136ae24486dbb4156dcbe21f5d402")
    );
    assert_eq!(r.id_fields, vec!["req_id"]);
    assert_eq!(r.client.as_deref(), Some("192.168.64.14"));
    assert_eq!(r.upstream.as_deref(), Some("default-web2-8080"));
}

#[test]
fn nginx_variables_with_spaces_and_iso_times() {
    let spec = Spec::nginx(
        "$time_iso8601 $request_method ${uri} $status $request_time $upstream_response_time $http_x_request_id $http_traceparent",
    )
    .unwrap();
    let (p, r) = run(&spec, "2024-03-01T12:00:00+01:00 POST /api/pay 502 1.5 - abc-123 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
    assert_eq!(p, Parsed::Entry);
    assert_eq!(r.time_ns, Some(1_709_290_800_000_000_000));
    assert_eq!(r.method.as_deref(), Some("POST"));
    assert_eq!(r.path.as_deref(), Some("/api/pay"));
    assert_eq!(r.status, Some(502));
    assert_eq!(r.duration_ns, Some(1_500 * MS));
    assert_eq!(r.upstream_ns, None);
    assert_eq!(r.request_id.as_deref(), Some("abc-123"));
    assert_eq!(
        r.trace_id.as_deref(),
        Some("4bf92f3577b34da6a3ce929d0e0e4736")
    );
    assert_eq!(r.parent_span_id.as_deref(), Some("00f067aa0ba902b7"));
    // No $request: the whole line is the message.
    assert!(r.message.starts_with("2024-03-01T12:00:00+01:00 POST"));

    // $time_local and $request without brackets or quotes step over their own spaces.
    let spec = Spec::nginx("$time_local $request $status $msec").unwrap();
    let (p, r) = run(
        &spec,
        "07/Feb/2020:11:48:51 +0000 GET /x HTTP/1.1 404 1581076131.123",
    );
    assert_eq!(p, Parsed::Entry);
    assert_eq!(r.time_ns, Some(1_581_076_131_000_000_000));
    assert_eq!(r.path.as_deref(), Some("/x"));
    assert_eq!(r.status, Some(404));
}

#[test]
fn nginx_conf_pieces_are_joined() {
    let spec = Spec::nginx(
        r#"'$remote_addr - $remote_user [$time_local] '
           '"$request" $status $body_bytes_sent $request_time';"#,
    )
    .unwrap();
    let (p, r) = run(
        &spec,
        r#"1.2.3.4 - - [07/Feb/2020:11:48:51 +0000] "GET / HTTP/1.1" 200 5 0.010"#,
    );
    assert_eq!(p, Parsed::Entry);
    assert_eq!(r.duration_ns, Some(10 * MS));
}

#[test]
fn apache_format_with_micros_and_request_id() {
    let spec = Spec::apache(r#"%h %l %u %t \"%r\" %>s %b %D %{X-Request-ID}i"#).unwrap();
    let (p, r) = run(
        &spec,
        r#"10.0.0.7 - alice [10/Oct/2000:13:55:36 -0700] "GET /a\"b HTTP/1.0" 200 2326 1534 c62ec130-6dee-4f3b-a52b-4f0d1312d89d"#,
    );
    assert_eq!(p, Parsed::Entry);
    assert_eq!(r.time_ns, Some(971_211_336_000_000_000));
    assert_eq!(r.path.as_deref(), Some(r#"/a\"b"#));
    assert_eq!(r.status, Some(200));
    assert_eq!(r.duration_ns, Some(1_534_000));
    assert_eq!(
        r.request_id.as_deref(),
        Some("c62ec130-6dee-4f3b-a52b-4f0d1312d89d")
    );
    assert_eq!(r.id_fields, vec!["X-Request-ID"]);
    assert_eq!(r.client.as_deref(), Some("10.0.0.7"));

    let spec =
        Spec::apache(r#"%a %{ms}T %{UNIQUE_ID}e %{%Y-%m-%d %H:%M:%S}t "%m %U%q %H" %s"#).unwrap();
    let (p, r) = run(
        &spec,
        r#"::1 250 YZx1-abc 2024-03-01 12:00:00 "PUT /v1/x?y=2 HTTP/1.1" 204"#,
    );
    assert_eq!(p, Parsed::Entry);
    assert_eq!(r.duration_ns, Some(250 * MS));
    assert_eq!(r.request_id.as_deref(), Some("YZx1-abc"));
    assert_eq!(r.time_ns, Some(1_709_294_400_000_000_000));
    assert!(r.time_without_zone);
    assert_eq!(r.method.as_deref(), Some("PUT"));
    assert_eq!(r.status, Some(204));
}

#[test]
fn lines_of_another_shape_are_unparsed() {
    let spec = Spec::apache(r#"%h %l %u %t "%r" %>s %b"#).unwrap();
    for line in [
        "",
        "hello world",
        r#"1.2.3.4 - - [not a time] "GET / HTTP/1.1" 200 5"#,
        r#"1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1" OK 5"#,
        r#"1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1"#,
    ] {
        assert_eq!(run(&spec, line).0, Parsed::Unparsed, "{line}");
    }
}

#[test]
fn bad_format_strings_say_what_is_wrong() {
    let err = |r: Result<Spec, String>| r.unwrap_err();
    assert!(err(Spec::apache("%h %Z %s")).contains("`%Z`"));
    assert!(err(Spec::apache("%h %{Referer")).contains("never closed"));
    assert!(err(Spec::apache("%h %")).contains("no directive letter"));
    assert!(err(Spec::apache("%{fortnights}T")).contains("`%{fortnights}T`"));
    assert!(err(Spec::apache("%h%s")).contains("`%s` follows `%h`"));
    assert!(err(Spec::apache("just text")).contains("no fields"));
    assert!(err(Spec::nginx("$remote_addr $ $status")).contains("`$` at byte 13"));
    assert!(err(Spec::nginx("${status")).contains("never closed"));
    assert!(err(Spec::nginx("$status$request_time")).contains("`$request_time` follows `$status`"));
    assert!(err(Spec::nginx("")).contains("no fields"));
    let spec = Spec::nginx("$uri$is_args$args $status").unwrap();
    assert_eq!(run(&spec, "/a?b=1 200").1.path.as_deref(), Some("/a?b=1"));
    // Unknown nginx variables are read and skipped.
    let spec = Spec::nginx("$geoip_country $status").unwrap();
    assert_eq!(run(&spec, "NL 200").1.status, Some(200));
}
