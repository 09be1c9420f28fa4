//! Access-log parsing on real logs from ../shared/realdata: the nginx ingress
//! controller against Filebeat's expected fields, the Elastic Apache sample's
//! status counts, Filebeat's nginx and Traefik edge cases, lnav's access logs.
//! Each file is read line by line through the library's `parse_line`.

use std::path::{Path, PathBuf};

use logtrace::ingest::event::Record;
use logtrace::ingest::formats::access::{sniff, AccessFormat};
use logtrace::ingest::formats::{LineFormat, Parsed, Sniff};

mod common;

const MS: u64 = 1_000_000;

const INGRESS_FORMAT: &str = r#"$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" $request_length $request_time [$proxy_upstream_name] [$proxy_alternative_upstream_name] $upstream_addr $upstream_response_length $upstream_response_time $upstream_status $req_id"#;
const COMBINED_APACHE: &str = r#"%h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-agent}i""#;

fn realdata(rel: &str) -> Option<PathBuf> {
    let p = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/realdata")).join(rel);
    if p.exists() {
        Some(p)
    } else {
        common::missing(&p.display().to_string());
        None
    }
}

/// The file's lines, without `\n` / `\r\n`.
fn lines(path: &Path) -> Vec<String> {
    let bytes = std::fs::read(path).unwrap();
    let text = String::from_utf8_lossy(&bytes);
    text.lines().map(str::to_owned).collect()
}

/// The owned parts of a record, so results outlive the line.
#[derive(Debug, Clone, PartialEq)]
struct Got {
    parsed: Parsed,
    time_ns: Option<i64>,
    method: Option<String>,
    path: Option<String>,
    status: Option<u16>,
    duration_ns: Option<u64>,
    upstream_ns: Option<u64>,
    request_id: Option<String>,
    message: String,
}

fn parse(format: &AccessFormat, line: &str) -> Got {
    let mut r = Record::default();
    let parsed = format.parse_line(line, &mut r);
    Got {
        parsed,
        time_ns: r.time_ns,
        method: r.method.map(|m| m.into_owned()),
        path: r.path.map(|m| m.into_owned()),
        status: r.status,
        duration_ns: r.duration_ns,
        upstream_ns: r.upstream_ns,
        request_id: r.request_id.map(|m| m.into_owned()),
        message: r.message.into_owned(),
    }
}

/// `0.104` -> 104 ms, in ns.
fn secs(v: &str) -> u64 {
    (v.parse::<f64>().unwrap() * 1e9).round() as u64
}

#[test]
fn ingress_controller_agrees_with_filebeat() {
    let Some(dir) = realdata("filebeat-fixtures/nginx_ingress_controller") else {
        return;
    };
    let log = lines(&dir.join("test.log"));
    assert_eq!(log.len(), 29);
    let shaped = AccessFormat::default();
    let compiled = AccessFormat::from_nginx(INGRESS_FORMAT).unwrap();
    let by_shape: Vec<Got> = log.iter().map(|l| parse(&shaped, l)).collect();
    let by_format: Vec<Got> = log.iter().map(|l| parse(&compiled, l)).collect();
    for (n, (a, b)) in by_shape.iter().zip(&by_format).enumerate() {
        assert_eq!(a.parsed, Parsed::Entry, "line {}", n + 1);
        assert_eq!(a, b, "line {}: shape and format string disagree", n + 1);
    }

    let tsv = std::fs::read_to_string(dir.join("expected-key-fields.upstream.tsv")).unwrap();
    let mut checked = 0;
    for row in tsv.lines().filter(|l| !l.starts_with('#')) {
        let c: Vec<&str> = row.split('\t').collect();
        let n: usize = c[0].parse().unwrap();
        let got = &by_shape[n - 1];
        assert_eq!(got.request_id.as_deref(), Some(c[2]), "line {n} request id");
        assert_eq!(got.duration_ns, Some(secs(c[4])), "line {n} request time");
        match c[5] {
            "?" => {}
            "-" => assert_eq!(got.upstream_ns, None, "line {n} upstream time"),
            v => assert_eq!(got.upstream_ns, Some(secs(v)), "line {n} upstream time"),
        }
        assert_eq!(got.status, Some(c[9].parse().unwrap()), "line {n} status");
        checked += 1;
    }
    assert_eq!(checked, 21);

    // Lines past the transcribed oracle: IPv6 client, unix socket upstream, `-` inside lists.
    assert_eq!(by_shape[24].upstream_ns, Some(36 * MS));
    assert_eq!(by_shape[25].status, Some(502));
    assert_eq!(by_shape[25].upstream_ns, Some(0));
    assert_eq!(by_shape[27].upstream_ns, Some(2 * MS));
    assert_eq!(by_shape[28].upstream_ns, Some(100 * MS));
    assert_eq!(
        by_shape[23].path.as_deref(),
        Some("/A%20Beka%20G1%20Howe/029_AND_30/15%20reading%20elephants.mp4")
    );
    assert_eq!(by_shape[4].method.as_deref(), Some("PATCHp"));
    assert_eq!(by_shape[5].method.as_deref(), Some("geti"));
    assert_eq!(by_shape[0].time_ns, Some(1_581_076_131_000_000_000));
    assert_eq!(by_shape[0].message, "POST /products HTTP/1.1");
}

#[test]
fn apache_sample_status_counts() {
    let Some(path) = realdata("elastic-examples/apache_logs") else {
        return;
    };
    let log = lines(&path);
    let non_blank = log.iter().filter(|l| !l.trim().is_empty()).count();
    assert_eq!(non_blank, 10_000);
    let formats = [
        AccessFormat::default(),
        AccessFormat::from_apache(COMBINED_APACHE).unwrap(),
    ];
    for format in &formats {
        let mut classes = [0usize; 6];
        let mut unparsed = Vec::new();
        for (n, line) in log.iter().enumerate() {
            let got = parse(format, line);
            match got.parsed {
                Parsed::Entry => classes[(got.status.unwrap() / 100) as usize] += 1,
                Parsed::Unparsed => unparsed.push(n + 1),
                other => panic!("line {} became {other:?}", n + 1),
            }
        }
        assert_eq!(&classes[2..], &[9_170, 609, 217, 3], "{:?}", format.kind());
        // Line 8,899 stops inside the user agent's quotes: reported, not guessed.
        assert_eq!(unparsed, vec![8_899]);
        assert_eq!(classes.iter().sum::<usize>() + unparsed.len(), non_blank);
    }
    let first = parse(&formats[0], &log[0]);
    assert_eq!(first.time_ns, Some(1_431_857_103_000_000_000));
    assert_eq!(first.status, Some(200));
    assert_eq!(
        first.path.as_deref(),
        Some("/presentations/logstash-monitorama-2013/images/kibana-search.png")
    );
}

#[test]
fn filebeat_nginx_access_edge_cases() {
    let Some(path) = realdata("filebeat-fixtures/nginx_access/test.log") else {
        return;
    };
    let got: Vec<Got> = lines(&path)
        .iter()
        .map(|l| parse(&AccessFormat::default(), l))
        .collect();
    assert_eq!(got.len(), 7);
    assert!(got.iter().all(|g| g.parsed == Parsed::Entry), "{got:#?}");
    // `10.0.0.2, 10.0.0.1, 127.0.0.1 - - [07/Dec/2016:11:05:07 +0100]`
    assert_eq!(got[0].time_ns, Some(1_481_105_107_000_000_000));
    assert_eq!(got[0].path.as_deref(), Some("/ocelot"));
    assert_eq!(got[1].status, Some(404));
    assert_eq!(got[4].path.as_deref(), Some("/assets/xxxx?q=100"));
    assert_eq!(got[5].path.as_deref(), Some("/test.html"));
    // `""` request, status 400.
    assert_eq!(got[6].status, Some(400));
    assert_eq!(
        (got[6].method.as_deref(), got[6].message.as_str()),
        (None, "")
    );
    assert_eq!(got[6].time_ns, Some(1_523_519_320_000_000_000));
}

#[test]
fn traefik_lines_including_a_broken_one() {
    let Some(path) = realdata("filebeat-fixtures/traefik_access/test.log") else {
        return;
    };
    let got: Vec<Got> = lines(&path)
        .iter()
        .map(|l| parse(&AccessFormat::default(), l))
        .collect();
    assert_eq!(got.len(), 2);
    assert_eq!(got[0].parsed, Parsed::Entry);
    assert_eq!(got[0].status, Some(304));
    assert_eq!(got[0].duration_ns, Some(2 * MS));
    // Line 2 is missing a quote in the frontend name, after the combined part:
    // the combined fields are still read, and so is the duration.
    assert_eq!(got[1].parsed, Parsed::Entry);
    assert_eq!(got[1].path.as_deref(), Some("/ui/favicons/favicon.ico"));
    assert_eq!(got[1].duration_ns, Some(3 * MS));
}

#[test]
fn lnav_access_logs() {
    let Some(dir) = realdata("lnav-samples") else {
        return;
    };
    let format = AccessFormat::default();
    // file, lines, 2xx/3xx/4xx/5xx, entries with a duration
    let expected: &[(&str, usize, [usize; 4], usize)] = &[
        ("logfile_access_log.0", 3, [2, 0, 1, 0], 0),
        ("logfile_access_log.1", 1, [0, 0, 1, 0], 0),
        ("logfile_access_log_dupe.0", 3, [2, 0, 1, 0], 0),
        ("logfile_bad_access_log.0", 3, [2, 0, 1, 0], 0),
        ("logfile_regexp_access_log.0", 2, [2, 0, 0, 0], 2),
        ("logfile_shop_access_log.0", 1000, [938, 38, 24, 0], 0),
    ];
    for &(file, n, classes, timed) in expected {
        let log = lines(&dir.join(file));
        assert_eq!(log.len(), n, "{file}");
        let mut got = [0usize; 4];
        let mut with_time = 0;
        for (i, line) in log.iter().enumerate() {
            let g = parse(&format, line);
            assert_eq!(g.parsed, Parsed::Entry, "{file}:{}: {line}", i + 1);
            assert!(g.time_ns.is_some(), "{file}:{}", i + 1);
            got[(g.status.unwrap() / 100 - 2) as usize] += 1;
            with_time += g.duration_ns.is_some() as usize;
        }
        assert_eq!(got, classes, "{file}");
        assert_eq!(with_time, timed, "{file}");
        assert_eq!(sniff(&log[0]), Sniff::Yes, "{file}");
    }
    let shop = lines(&dir.join("logfile_shop_access_log.0"));
    // `[22/Jan/2019:03:56:14 +0330]`
    assert_eq!(
        parse(&format, &shop[0]).time_ns,
        Some(1_548_116_774_000_000_000)
    );
    let jira = lines(&dir.join("logfile_regexp_access_log.0"));
    let g = parse(&format, &jira[1]);
    assert_eq!(g.duration_ns, Some(156_302_000));
    assert_eq!(
        g.path.as_deref(),
        Some("/secure/RapidBoard.jspa?rapidView=1839&view=planning.nodetail&issueLimit=100")
    );
}

#[test]
fn sniff_rejects_every_line_of_other_formats() {
    let Some(dir) = realdata("lnav-samples") else {
        return;
    };
    let access = [
        "logfile_access_log.0",
        "logfile_access_log.1",
        "logfile_access_log_dupe.0",
        "logfile_bad_access_log.0",
        "logfile_regexp_access_log.0",
        "logfile_shop_access_log.0",
    ];
    let mut files = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if access.contains(&name.as_str()) || !name.starts_with("logfile_") {
            continue;
        }
        files += 1;
        for (i, line) in lines(&path).iter().enumerate() {
            assert_ne!(sniff(line), Sniff::Yes, "{name}:{}: {line}", i + 1);
        }
    }
    assert!(files > 100, "{files}");
}
