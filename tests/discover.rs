//! Folders and files -> sources in rotation streams, oldest first, the same
//! whatever the creation or directory order; problems reported, never a hang.

use std::path::{Path, PathBuf};

use logtrace::ingest::discover::{discover, DiscoverOptions, Discovery};

fn touch(root: &Path, rel: &str) {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(&p, format!("{rel}\n")).unwrap();
}

fn run(paths: &[PathBuf], include: &[&str], exclude: &[&str]) -> Discovery {
    let opts = DiscoverOptions {
        include: include.iter().map(|s| s.to_string()).collect(),
        exclude: exclude.iter().map(|s| s.to_string()).collect(),
        ..Default::default()
    };
    discover(paths, &opts).unwrap()
}

fn listing(d: &Discovery) -> Vec<String> {
    d.sources
        .iter()
        .map(|s| format!("{} [{} #{}]", s.display, s.stream, s.rotation))
        .collect()
}

const ROTATED: &[&str] = &[
    "nginx/access.log",
    "nginx/access.log.1",
    "nginx/access.log.2.gz",
    "nginx/access.log.10.gz",
    "nginx/error.log",
    "app/app.log",
    "app/app.log-20240302",
    "app/app.log-20240301.gz",
    "app/app.2024-02-28.log",
    "app.1.log",
    "z.log",
];

#[test]
fn rotation_sets_oldest_first() {
    let dir = tempfile::tempdir().unwrap();
    for f in ROTATED {
        touch(dir.path(), f);
    }
    let d = run(&[dir.path().to_path_buf()], &[], &[]);
    assert!(d.problems.is_empty(), "{:?}", d.problems);
    assert_eq!(
        listing(&d),
        [
            "app.1.log [app.1.log #0]",
            "app/app.2024-02-28.log [app/app.log #3]",
            "app/app.log-20240301.gz [app/app.log #2]",
            "app/app.log-20240302 [app/app.log #1]",
            "app/app.log [app/app.log #0]",
            "nginx/access.log.10.gz [nginx/access.log #10]",
            "nginx/access.log.2.gz [nginx/access.log #2]",
            "nginx/access.log.1 [nginx/access.log #1]",
            "nginx/access.log [nginx/access.log #0]",
            "nginx/error.log [nginx/error.log #0]",
            "z.log [z.log #0]",
        ]
    );
    let s = &d.sources[0];
    assert_eq!(s.root, dir.path());
    assert_eq!(s.path, dir.path().join("app.1.log"));
    assert_eq!(s.size, "app.1.log\n".len() as u64);
}

#[test]
fn order_does_not_depend_on_creation_order() {
    let mut results = Vec::new();
    for order in 0..4 {
        let dir = tempfile::tempdir().unwrap();
        let mut files: Vec<&str> = ROTATED.to_vec();
        match order {
            1 => files.reverse(),
            2 => files.rotate_left(5),
            3 => files.sort_by_key(|f| f.len()),
            _ => {}
        }
        for f in files {
            touch(dir.path(), f);
        }
        results.push(listing(&run(&[dir.path().to_path_buf()], &[], &[])));
    }
    assert!(results.windows(2).all(|w| w[0] == w[1]), "{results:#?}");
}

#[test]
fn include_and_exclude_globs() {
    let dir = tempfile::tempdir().unwrap();
    for f in [
        "a/b/x.log",
        "a/y.txt",
        "top.log",
        "archive/old.log",
        "a/b/x.log.1.gz",
    ] {
        touch(dir.path(), f);
    }
    let root = [dir.path().to_path_buf()];
    let names = |d: &Discovery| {
        d.sources
            .iter()
            .map(|s| s.display.clone())
            .collect::<Vec<_>>()
    };
    // `*.log` matches deep paths; the bare name is matched too.
    let d = run(&root, &["*.log"], &[]);
    assert_eq!(names(&d), ["a/b/x.log", "archive/old.log", "top.log"]);
    assert_eq!(d.excluded, 2);
    let d = run(&root, &["x.log*"], &[]);
    assert_eq!(names(&d), ["a/b/x.log.1.gz", "a/b/x.log"]);
    // Excludes prune folders by relative path or name.
    let d = run(&root, &[], &["archive"]);
    assert_eq!(
        names(&d),
        ["a/b/x.log.1.gz", "a/b/x.log", "a/y.txt", "top.log"]
    );
    let d = run(&root, &["*.log", "*.gz"], &["a/b/*"]);
    assert_eq!(names(&d), ["archive/old.log", "top.log"]);
    // A bad glob is an error that names the flag.
    let err = discover(
        &root,
        &DiscoverOptions {
            include: vec!["a[".into()],
            ..Default::default()
        },
    )
    .unwrap_err();
    assert!(
        err.to_string().contains("invalid --include glob 'a['"),
        "{err}"
    );
}

#[test]
fn hidden_entries_are_skipped_unless_named() {
    let dir = tempfile::tempdir().unwrap();
    for f in [".git/HEAD", ".hidden.log", "seen.log", "sub/.cache/x.log"] {
        touch(dir.path(), f);
    }
    let d = run(&[dir.path().to_path_buf()], &[], &[]);
    assert_eq!(listing(&d), ["seen.log [seen.log #0]"]);
    assert_eq!(d.hidden_skipped, 3);
    // Named by the user: read, also when the root itself is hidden.
    let named = dir.path().join(".hidden.log");
    let d = run(std::slice::from_ref(&named), &[], &[]);
    assert_eq!(d.sources.len(), 1);
    assert_eq!(d.sources[0].display, named.display().to_string());
    let d = run(&[dir.path().join("sub/.cache")], &[], &[]);
    assert_eq!(listing(&d), ["x.log [x.log #0]"]);
}

#[cfg(unix)]
#[test]
fn symlink_loop_ends_and_is_reported() {
    use std::os::unix::fs::symlink;
    let dir = tempfile::tempdir().unwrap();
    touch(dir.path(), "a/b/x.log");
    symlink(dir.path().join("a"), dir.path().join("a/b/up")).unwrap();
    symlink("self", dir.path().join("a/self")).unwrap();
    let d = run(&[dir.path().to_path_buf()], &[], &[]);
    assert_eq!(listing(&d), ["a/b/x.log [a/b/x.log #0]"]);
    let reasons: Vec<_> = d
        .problems
        .iter()
        .map(|p| (p.path.as_str(), &p.reason))
        .collect();
    // Shown relative to the folder named, like the files.
    assert_eq!(reasons.len(), 2, "{reasons:?}");
    assert_eq!(reasons[0].0, "a/b/up");
    assert!(reasons[0].1.contains("symlink loop"), "{reasons:?}");
    assert_eq!(reasons[1].0, "a/self");
    assert!(reasons[1].1.starts_with("symlink loop: "), "{reasons:?}");
}

#[cfg(unix)]
#[test]
fn a_file_reached_twice_is_read_once_under_its_real_path() {
    use std::os::unix::fs::symlink;
    let dir = tempfile::tempdir().unwrap();
    touch(dir.path(), "real/x.log");
    // "alias" sorts before "real", so the walk meets the link first.
    symlink(dir.path().join("real"), dir.path().join("alias")).unwrap();
    symlink(dir.path().join("real/x.log"), dir.path().join("link.log")).unwrap();
    let d = run(&[dir.path().to_path_buf()], &[], &[]);
    assert!(d.problems.is_empty(), "{:?}", d.problems);
    assert_eq!(listing(&d), ["real/x.log [real/x.log #0]"]);
    // The same folder named twice, or a folder and a file in it.
    let d = run(
        &[dir.path().join("real"), dir.path().join("real/x.log")],
        &[],
        &[],
    );
    assert_eq!(d.sources.len(), 1);
}

#[cfg(unix)]
#[test]
fn dangling_link_and_fifo_are_problems() {
    use std::os::unix::fs::symlink;
    let dir = tempfile::tempdir().unwrap();
    touch(dir.path(), "ok.log");
    symlink(dir.path().join("gone.log"), dir.path().join("dangling.log")).unwrap();
    // Tests run as root, where chmod 000 does not stop reading: a FIFO stands
    // in for a file that cannot be read (and opening one would block).
    let fifo = dir.path().join("pipe.log");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    let d = run(&[dir.path().to_path_buf()], &[], &[]);
    assert_eq!(listing(&d), ["ok.log [ok.log #0]"]);
    let p = &d.problems[0];
    assert!(p.path.ends_with("dangling.log"));
    assert!(
        p.reason.starts_with("dangling symlink (points to "),
        "{}",
        p.reason
    );
    if made.is_ok_and(|s| s.success()) {
        assert_eq!(d.problems.len(), 2);
        assert!(d.problems[1].path.ends_with("pipe.log"));
        assert_eq!(d.problems[1].reason, "not a regular file (a FIFO), skipped");
    } else {
        eprintln!("notice: mkfifo unavailable, FIFO case not tested");
    }
    // Excluded entries are not reported.
    let d = run(&[dir.path().to_path_buf()], &[], &["dangling*", "pipe*"]);
    assert!(d.problems.is_empty(), "{:?}", d.problems);
}

#[test]
fn missing_path_is_an_error_empty_folder_is_not() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope");
    let err = discover(std::slice::from_ref(&missing), &DiscoverOptions::default()).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("no such file or folder: {}", missing.display())
    );
    let d = run(&[dir.path().to_path_buf()], &[], &[]);
    assert!(d.sources.is_empty() && d.problems.is_empty());
}

#[cfg(unix)]
#[test]
fn named_dangling_link_says_where_it_points() {
    let dir = tempfile::tempdir().unwrap();
    let link = dir.path().join("l");
    std::os::unix::fs::symlink("/no/such/target", &link).unwrap();
    let err = discover(&[link], &DiscoverOptions::default()).unwrap_err();
    assert!(
        err.to_string()
            .contains("a symlink to /no/such/target, which does not exist"),
        "{err}"
    );
}

#[test]
fn several_roots_keep_their_prefix_and_named_files_form_streams() {
    let dir = tempfile::tempdir().unwrap();
    for f in ["host1/access.log", "host2/access.log", "host2/access.log.1"] {
        touch(dir.path(), f);
    }
    let d = run(
        &[dir.path().join("host2"), dir.path().join("host1")],
        &[],
        &[],
    );
    let h = |s: &str| dir.path().join(s).display().to_string();
    let got: Vec<_> = d
        .sources
        .iter()
        .map(|s| (s.display.clone(), s.stream.clone(), s.rotation))
        .collect();
    assert_eq!(
        got,
        [
            (h("host1/access.log"), h("host1/access.log"), 0),
            (h("host2/access.log.1"), h("host2/access.log"), 1),
            (h("host2/access.log"), h("host2/access.log"), 0),
        ]
    );
    // Files named one by one (a shell glob) still form one stream.
    let d = run(
        &[
            dir.path().join("host2/access.log"),
            dir.path().join("host2/access.log.1"),
        ],
        &[],
        &[],
    );
    assert_eq!(d.sources[0].rotation, 1);
    assert_eq!(d.sources[0].stream, d.sources[1].stream);
}

#[cfg(unix)]
#[test]
fn symlinks_stay_inside_the_input_folders_unless_follow() {
    use std::os::unix::fs::symlink;
    let outside = tempfile::tempdir().unwrap();
    touch(outside.path(), "secret/other.log");
    touch(outside.path(), "solo.log");
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in");
    touch(&input, "app.log");
    touch(&input, "sub/x.log");
    symlink(outside.path().join("secret"), input.join("away")).unwrap();
    symlink(outside.path().join("solo.log"), input.join("away.log")).unwrap();
    symlink(input.join("sub/x.log"), input.join("alias.log")).unwrap();
    symlink("/", input.join("root")).unwrap();
    symlink("/proc/self/status", input.join("status.log")).unwrap();
    symlink("/dev/zero", input.join("zero.log")).unwrap();
    let d = run(std::slice::from_ref(&input), &[], &[]);
    assert_eq!(
        listing(&d),
        ["app.log [app.log #0]", "sub/x.log [sub/x.log #0]"]
    );
    assert_eq!(d.links_not_followed, 5, "{:?}", d.problems);
    let why = |name: &str| {
        d.problems
            .iter()
            .find(|p| p.path.ends_with(name))
            .map(|p| p.reason.clone())
            .unwrap_or_default()
    };
    assert!(
        why("away").contains("out of the input folders"),
        "{}",
        why("away")
    );
    assert!(why("away").contains("--follow"));
    assert!(why("root").contains("out of the input folders"));
    assert!(
        why("status.log").contains("a system file"),
        "{}",
        why("status.log")
    );
    assert!(why("zero.log").contains("a system file"));

    // --follow reads what lies outside, never the kernel's files.
    std::fs::remove_file(input.join("root")).unwrap();
    let opts = DiscoverOptions {
        follow: true,
        ..Default::default()
    };
    let d = discover(std::slice::from_ref(&input), &opts).unwrap();
    assert_eq!(
        listing(&d),
        [
            "app.log [app.log #0]",
            "away.log [away.log #0]",
            "away/other.log [away/other.log #0]",
            "sub/x.log [sub/x.log #0]"
        ]
    );
    assert_eq!(d.links_not_followed, 2);

    // A link the user names is read wherever it points.
    let d = run(&[input.join("away.log")], &[], &[]);
    assert_eq!(d.sources.len(), 1);
    // Two folders named: a link from one into the other stays inside.
    let d = run(&[input.clone(), outside.path().to_path_buf()], &[], &[]);
    assert!(
        d.problems.iter().all(|p| !p.path.ends_with("away")),
        "{:?}",
        d.problems
    );
}

#[cfg(unix)]
#[test]
fn sockets_fifos_and_devices_in_a_folder_are_counted_never_opened() {
    let dir = tempfile::tempdir().unwrap();
    touch(dir.path(), "ok.log");
    let _socket = std::os::unix::net::UnixListener::bind(dir.path().join("app.sock")).unwrap();
    let fifo = std::process::Command::new("mkfifo")
        .arg(dir.path().join("pipe.log"))
        .status()
        .is_ok_and(|s| s.success());
    // A device node needs privileges; without them the case is left out.
    let device = std::process::Command::new("mknod")
        .arg(dir.path().join("null.log"))
        .args(["c", "1", "3"])
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    let d = run(&[dir.path().to_path_buf()], &[], &[]);
    assert_eq!(listing(&d), ["ok.log [ok.log #0]"]);
    let expected = 1 + u64::from(fifo) + u64::from(device);
    assert_eq!(d.special_skipped, expected, "{:?}", d.problems);
    let reasons: Vec<&str> = d.problems.iter().map(|p| p.reason.as_str()).collect();
    assert!(
        reasons.contains(&"not a regular file (a socket), skipped"),
        "{reasons:?}"
    );
    if device {
        assert!(reasons.contains(&"not a regular file (a character device), skipped"));
    }
}
