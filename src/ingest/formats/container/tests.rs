use super::*;
use crate::ingest::chunk::FileInfo;

const DOCKER: &str = r#"{"log":"16:49:08.656 INFO  c.c.ConfigController#67 TraceID: e107c4d252a8f4810ed9ae6b5ebd5267 SpanID: 818a84133ef9cf86 [retrieve]\n","stream":"stdout","time":"2023-01-29T08:49:08.656972722Z"}"#;
const CRI: &str = "2022-08-22T05:18:19.394320402Z stdout F {\"message\":\"TraceID: 2bbb4d7b7d41b8652c4c5b23a10cd5f7 SpanID: ec9efc5b00b2d37a [GetQuote] received request\",\"severity\":\"info\"}";
const T_DOCKER: i64 = 1_674_982_148_656_972_722;
const T_CRI: i64 = 1_661_145_499_394_320_402;

fn pieces(f: &ContainerFormat, chunk: &str) -> Vec<(String, Option<i64>, u64)> {
    let mut v = Vec::new();
    f.walk(chunk.as_bytes(), |p| match p {
        Piece::Line(raw) => v.push((String::from_utf8_lossy(raw).into_owned(), None, 0)),
        Piece::Entry {
            text,
            time_ns,
            lines,
            ..
        } => v.push((String::from_utf8_lossy(text).into_owned(), time_ns, lines)),
    });
    v
}

fn sink(f: &ContainerFormat, chunk: &str) -> ChunkSink {
    let mut s = ChunkSink::new(FileInfo {
        file: 0,
        default_service: "svc".into(),
        keep_events: true,
        ..Default::default()
    });
    f.parse_chunk(chunk.as_bytes(), &mut s);
    s.finish();
    s
}

#[test]
fn sniffs_each_runtime() {
    assert_eq!(sniff_docker(DOCKER), Sniff::Yes);
    assert_eq!(sniff_cri(CRI), Sniff::Yes);
    assert_eq!(sniff_docker(CRI), Sniff::No);
    assert_eq!(sniff_cri(DOCKER), Sniff::No);
    assert_eq!(sniff_docker(r#"{"level":"info","msg":"hi"}"#), Sniff::No);
    assert_eq!(sniff_docker(r#"{"log":"hi"}"#), Sniff::Maybe);
    assert_eq!(
        sniff_cri("2022-08-22T05:18:19Z stdout X msg"),
        Sniff::No,
        "unknown tag"
    );
    assert_eq!(sniff_cri("2022-08-22T05:18:19Z stdout F"), Sniff::Yes);
    assert_eq!(
        sniff_cri("2022-08-22 05:18:19 stdout F msg"),
        Sniff::No,
        "a space inside the time is no CRI stamp"
    );
}

#[test]
fn cri_envelope_fields() {
    let e = cri_envelope(b"2022-08-22T05:18:19.394320402+02:00 stderr P:x part").unwrap();
    assert_eq!(e.time_ns, Some(T_CRI - 2 * 3600 * NS_PER_SEC));
    assert_eq!(
        (e.stream, e.raw, e.partial),
        (&b"stderr"[..], &b"part"[..], true)
    );
}

#[test]
fn docker_envelope_in_any_key_order_with_attrs() {
    let line = br#"{"time":"2023-01-29T08:49:08.656972722Z", "attrs":{"tag":"a\"}b","n":[1,{"x":2}]}, "stream":"stderr","log":"x\\n"}"#;
    let e = docker_envelope(line).unwrap();
    assert_eq!(e.time_ns, Some(T_DOCKER));
    assert_eq!(e.stream, b"stderr");
    assert_eq!(e.raw, br"x\\n");
    assert!(e.partial, "an escaped backslash then `n` is no newline");
    assert!(docker_envelope(br#"{"log":"x\n","stream":"stdout"} junk"#).is_none());
    assert!(docker_envelope(br#"{"log":"unterminated"#).is_none());
    assert!(docker_envelope(br#"{}"#).is_none());
}

#[test]
fn parse_line_uses_the_envelope_time_for_a_dateless_inner_time() {
    let f = ContainerFormat::docker(FormatContext::default());
    let mut r = Record::default();
    assert_eq!(f.parse_line(DOCKER, &mut r), Parsed::Entry);
    assert_eq!(r.time_ns, Some(T_DOCKER));
    assert!(r.message.contains("TraceID"), "{}", r.message);
    assert!(r.message.ends_with("[retrieve]"), "{}", r.message);
    let f = ContainerFormat::cri(FormatContext::default());
    let mut r = Record::default();
    assert_eq!(f.parse_line(CRI, &mut r), Parsed::Entry);
    assert_eq!(r.time_ns, Some(T_CRI));
    assert_eq!(
        f.parse_line("2022-08-22T05:18:19Z stdout F", &mut Record::default()),
        Parsed::Entry
    );
    assert_eq!(f.parse_line("junk", &mut r), Parsed::Unparsed);
}

#[test]
fn inner_time_is_kept_when_close_and_replaced_when_hours_off() {
    let env = Some(T_CRI);
    let rec = |t: Option<i64>, dateless: bool| Record {
        time_ns: t,
        time_without_date: dateless,
        time_without_zone: true,
        ..Default::default()
    };
    let cases = [
        (rec(Some(T_CRI - 300_000), false), T_CRI - 300_000),
        (
            rec(Some(T_CRI - 3599 * NS_PER_SEC), false),
            T_CRI - 3599 * NS_PER_SEC,
        ),
        (rec(Some(T_CRI + 8 * 3600 * NS_PER_SEC), false), T_CRI),
        (rec(Some(T_CRI - 300_000), true), T_CRI),
        (rec(None, false), T_CRI),
    ];
    for (mut r, want) in cases {
        envelope_time(&mut r, env);
        assert_eq!(r.time_ns, Some(want));
        assert!(!r.time_without_date);
    }
    let mut r = rec(Some(5), true);
    envelope_time(&mut r, None);
    assert_eq!((r.time_ns, r.time_without_date), (Some(5), true));
}

#[test]
fn cri_partial_lines_join_into_one_entry() {
    let f = ContainerFormat::cri(FormatContext::default());
    let text = "2022-08-22T05:18:19.000000001Z stdout P {\"message\":\"part one \n\
                2022-08-22T05:18:19.000000002Z stdout P and two \n\
                2022-08-22T05:18:19.000000003Z stdout F end\"}\n\
                2022-08-22T05:18:20Z stderr F next\n\
                2022-08-22T05:18:21Z stdout P cut at the end";
    let p = pieces(&f, text);
    assert_eq!(p.len(), 3);
    assert_eq!(p[0].0, "{\"message\":\"part one and two end\"}");
    assert_eq!((p[0].1, p[0].2), (Some(T_CRI - 394_320_401), 3));
    assert_eq!(p[1].0, "next");
    assert_eq!(p[2].0, "cut at the end");
    let s = sink(&f, text);
    assert_eq!(
        (s.counts.lines, s.counts.entries, s.counts.continuation),
        (5, 3, 2)
    );
    let lines: Vec<u32> = s.events.iter().map(|e| e.source.line).collect();
    assert_eq!(lines, vec![1, 4, 5]);
}

#[test]
fn docker_split_records_join_and_escapes_are_undone() {
    let f = ContainerFormat::docker(FormatContext::default());
    let text = concat!(
        r#"{"log":"first \u003chalf","stream":"stdout","time":"2023-01-29T08:49:08.656972722Z"}"#,
        "\n",
        r#"{"log":"warn: \"quoted\"\n","stream":"stderr","time":"2023-01-29T08:49:08.7Z"}"#,
        "\r\n",
        r#"{"log":" second half\n","stream":"stdout","time":"2023-01-29T08:49:08.8Z"}"#,
        "\n",
        r#"{"log":"plain\n","stream":"stdout","time":"2023-01-29T08:49:09Z"}"#,
        "\n",
    );
    let p = pieces(&f, text);
    let texts: Vec<&str> = p.iter().map(|x| x.0.as_str()).collect();
    // A record of the other stream ends the split message early.
    assert_eq!(
        texts,
        vec!["first <half", "warn: \"quoted\"", " second half", "plain"]
    );
    let s = sink(&f, text);
    assert_eq!(
        (
            s.counts.lines,
            s.counts.entries,
            s.counts.continuation,
            s.counts.crlf
        ),
        (4, 3, 1, 1),
        "the stray second half is a continuation (leading space)"
    );
    let t = concat!(
        r#"{"log":"a","stream":"stdout","time":"2023-01-29T08:49:08Z"}"#,
        "\n",
        r#"{"log":"b","stream":"stdout","time":"2023-01-29T08:49:08Z"}"#,
        "\n",
        r#"{"log":"c\n","stream":"stdout","time":"2023-01-29T08:49:08Z"}"#,
        "\n",
    );
    assert_eq!(pieces(&f, t)[0].0, "abc");
    assert_eq!(pieces(&f, t)[0].2, 3);
}

#[test]
fn stack_traces_inside_envelopes_are_continuations() {
    let f = ContainerFormat::docker(FormatContext::default());
    let text = concat!(
        r#"{"log":"16:49:08.656 ERROR c.c.Ctl#67 boom\n","stream":"stdout","time":"2023-01-29T08:49:08Z"}"#,
        "\n",
        r#"{"log":"java.lang.IllegalStateException: x\n","stream":"stdout","time":"2023-01-29T08:49:08Z"}"#,
        "\n",
        r#"{"log":"\tat com.x.Ctl.run(Ctl.java:67)\n","stream":"stdout","time":"2023-01-29T08:49:08Z"}"#,
        "\n",
        r#"{"log":"Caused by: java.io.IOException: y\n","stream":"stdout","time":"2023-01-29T08:49:08Z"}"#,
        "\n",
        r#"{"log":"\t... 12 more\n","stream":"stdout","time":"2023-01-29T08:49:08Z"}"#,
        "\n",
        "not an envelope\n",
        "\n",
    );
    let s = sink(&f, text);
    assert_eq!(
        (
            s.counts.lines,
            s.counts.entries,
            s.counts.continuation,
            s.counts.unparsed,
            s.counts.blank
        ),
        (7, 1, 4, 1, 1),
        "the exception line has no time of its own, so it continues the entry"
    );
    assert_eq!(s.examples[0].line, 6);
    assert!(
        s.counts.errors >= 1,
        "the stack trace marks its entry as failed"
    );
    let mut r = Record::default();
    let line = r#"{"log":"\tat com.x.Ctl.run(Ctl.java:67)\n","stream":"stdout","time":"2023-01-29T08:49:08Z"}"#;
    assert_eq!(f.parse_line(line, &mut r), Parsed::Continuation);
    assert!(r.exception);
}

#[test]
fn no_input_panics() {
    let f = ContainerFormat::docker(FormatContext::default());
    let c = ContainerFormat::cri(FormatContext::default());
    let samples = [
        DOCKER,
        CRI,
        r#"{"log":"\u12"}"#,
        r#"{"log":"é\ud83d","stream":"x"}"#,
    ];
    for s in samples {
        for cut in 0..=s.len() {
            let b = &s.as_bytes()[..cut];
            let mut sk = ChunkSink::default();
            f.parse_chunk(b, &mut sk);
            c.parse_chunk(b, &mut sk);
            let mut m = s.as_bytes().to_vec();
            for v in [b'"', b'\\', b'{', b'}', b' ', b'\n', 0xff, 0] {
                m[cut.min(s.len() - 1)] = v;
                let mut sk = ChunkSink::default();
                f.parse_chunk(&m, &mut sk);
                c.parse_chunk(&m, &mut sk);
            }
            if let Some(t) = s.get(..cut) {
                f.parse_line(t, &mut Record::default());
                c.parse_line(t, &mut Record::default());
            }
        }
    }
}
