//! A file's path -> the service its entries belong to when they do not say.
//!
//! Input: a [`Source`]. Output: a service name, by the first rule that fits:
//!
//! 1. Kubernetes node layouts name the pod: `pods/<ns>_<pod>_<uid>/<container>/0.log`
//!    (also `N.log`, `N.log.<timestamp>`, `.gz`) and `containers/<pod>_<ns>_<container>-<id>.log`.
//!    The service is the pod name without the suffixes its controller added:
//!    `ts-config-service-5fcd447d84-wxwjd` -> `ts-config-service` (Deployment: ReplicaSet
//!    hash and pod suffix), `fluentd-x7k2p` -> `fluentd` (DaemonSet, Job), `redis-0` ->
//!    `redis` (StatefulSet ordinal).
//! 2. Docker's own layout `<id>/<id>-json.log` names the container by its short id.
//! 3. The parent folder, unless it is the scanned root.
//! 4. Names edge services give their hourly or daily files: CloudFront's
//!    `<distribution>.2024-03-01-12.<id>.gz` names the distribution, IIS's
//!    `u_ex240301.log` (and `ex`, `u_in`, `u_nc` variants) is `iis`.
//! 5. The file stem without rotation (`.1`, `.2.gz`, `-20240301`, `.2024-03-01`) and
//!    compression suffixes: `api.log.2.gz` -> `api`.
//!
//! A piped input has no file name to go by: standard input is `stdin`, a
//! shell's `<(...)` (`/dev/fd/63`) is `pipe`, a named FIFO its own name.

use std::path::Path;

use super::discover::Source;

/// The default service of the entries of `src`.
pub fn service_for(src: &Source) -> String {
    let file = name_of(&src.path);
    if src.piped {
        return match file.as_str() {
            "" | "-" => "stdin".into(),
            f if f.bytes().all(|b| b.is_ascii_digit()) => "pipe".into(),
            f => f.to_owned(),
        };
    }
    let parent = src.path.parent();
    if let Some(s) = kubernetes_pods_layout(&src.path) {
        return s;
    }
    if let Some(pod) = kubernetes_containers_file(&file) {
        return pod_service(pod).to_string();
    }
    if let Some(id) = docker_json_file(&file) {
        return id.to_string();
    }
    if let Some(parent) = parent {
        if src.path != src.root && parent != src.root && !parent.as_os_str().is_empty() {
            let name = name_of(parent);
            if !name.is_empty() && name != "." && name != ".." && name != "/" {
                return name;
            }
        }
    }
    if let Some(name) = edge_file_name(&file) {
        return name.to_string();
    }
    let stem = file_stem(&file);
    if stem.is_empty() {
        file
    } else {
        stem.to_string()
    }
}

fn name_of(p: &Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// `…/<ns>_<pod>_<uid>/<container>/<N>.log[...]` -> the pod's service.
fn kubernetes_pods_layout(path: &Path) -> Option<String> {
    let mut comps = path.components().rev();
    let file = comps.next()?.as_os_str().to_string_lossy();
    let _container = comps.next()?;
    let pod_dir = comps.next()?.as_os_str().to_string_lossy();
    let (n, _) = file.split_once(".log")?;
    if n.is_empty() || !n.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut parts = pod_dir.split('_');
    let (ns, pod, uid) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || ns.is_empty() || pod.is_empty() || !is_uid(uid) {
        return None;
    }
    Some(pod_service(pod).to_string())
}

/// A pod UID: 32 hex digits in the 8-4-4-4-12 layout.
fn is_uid(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, &c)| match i {
            8 | 13 | 18 | 23 => c == b'-',
            _ => c.is_ascii_hexdigit(),
        })
}

/// `<pod>_<ns>_<container>-<64 hex>.log[...]` -> the pod name.
fn kubernetes_containers_file(file: &str) -> Option<&str> {
    let (base, _) = file.split_once(".log")?;
    let mut parts = base.split('_');
    let (pod, ns, container) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || pod.is_empty() || ns.is_empty() {
        return None;
    }
    let (name, id) = container.rsplit_once('-')?;
    (!name.is_empty() && id.len() == 64 && id.bytes().all(|b| b.is_ascii_hexdigit())).then_some(pod)
}

/// `<64 hex>-json.log[.N]` -> the 12-digit short container id Docker shows.
fn docker_json_file(file: &str) -> Option<&str> {
    let (id, _) = file.split_once("-json.log")?;
    (id.len() == 64 && id.bytes().all(|b| b.is_ascii_hexdigit())).then(|| &id[..12])
}

/// The characters Kubernetes uses for generated name suffixes (no vowels, no 0/1/3).
fn is_k8s_suffix_char(b: u8) -> bool {
    b"bcdfghjklmnpqrstvwxz2456789".contains(&b)
}

/// A pod name without the suffixes its controller generated.
pub fn pod_service(pod: &str) -> &str {
    let Some((rest, last)) = pod.rsplit_once('-') else {
        return pod;
    };
    if rest.is_empty() {
        return pod;
    }
    // Deployment: a 5-character pod suffix after a ReplicaSet pod-template hash
    // (6-10 characters of the same alphabet, or decimal digits on old clusters).
    let generated = last.len() == 5 && last.bytes().all(is_k8s_suffix_char);
    if generated {
        if let Some((name, hash)) = rest.rsplit_once('-') {
            if !name.is_empty() && is_template_hash(hash) {
                return name;
            }
        }
    }
    // StatefulSet: `<name>-<ordinal>`; DaemonSet, Job, bare ReplicaSet: `<name>-<suffix>`.
    let ordinal = !last.is_empty() && last.len() <= 5 && last.bytes().all(|b| b.is_ascii_digit());
    if ordinal || generated {
        return rest;
    }
    pod
}

fn is_template_hash(hash: &str) -> bool {
    let safe = (6..=10).contains(&hash.len()) && hash.bytes().all(is_k8s_suffix_char);
    let has_digit = hash.bytes().any(|b| b.is_ascii_digit());
    let decimal = (8..=10).contains(&hash.len()) && hash.bytes().all(|b| b.is_ascii_digit());
    // Short all-letter words (`grpc`, `dns`) are names, not hashes.
    (safe && (has_digit || hash.len() >= 8)) || decimal
}

/// The service a CloudFront or IIS log file's name gives (see the module doc).
fn edge_file_name(file: &str) -> Option<&str> {
    let stem = file_stem(file);
    let mut parts = stem.split('.');
    if let (Some(dist), Some(hour), Some(_), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    {
        let h = hour.as_bytes();
        let is_hour = h.len() == 13
            && h.iter().enumerate().all(|(i, &c)| match i {
                4 | 7 | 10 => c == b'-',
                _ => c.is_ascii_digit(),
            });
        if is_hour && !dist.is_empty() && dist.bytes().all(|c| c.is_ascii_alphanumeric()) {
            return Some(dist);
        }
    }
    let digits = ["u_ex", "ex", "u_in", "in", "u_nc", "nc"]
        .iter()
        .find_map(|p| stem.strip_prefix(p))?;
    let all_digits = digits.bytes().all(|c| c.is_ascii_digit());
    (all_digits && matches!(digits.len(), 6 | 8)).then_some("iis")
}

/// A file name without compression, rotation and log extensions.
pub fn file_stem(name: &str) -> &str {
    let mut s = name;
    loop {
        let before = s.len();
        for ext in [".gz", ".zst", ".zstd", ".bz2", ".xz", ".lz4", ".z", ".Z"] {
            if let Some(r) = s.strip_suffix(ext) {
                s = r;
            }
        }
        s = strip_rotation(s);
        for ext in [".log", ".txt", ".out", ".err", ".json", ".jsonl", ".ndjson"] {
            if let Some(r) = s.strip_suffix(ext) {
                if !r.is_empty() {
                    s = r;
                }
            }
        }
        if s.len() == before {
            return s;
        }
    }
}

/// Strips one rotation suffix: `.1`, `-20240301`, `.2024-03-01`, `_20240301-120000`.
fn strip_rotation(s: &str) -> &str {
    let Some(i) = s.rfind(['.', '-', '_']) else {
        return s;
    };
    let (base, suffix) = (&s[..i], &s[i + 1..]);
    if base.is_empty() || suffix.is_empty() {
        return s;
    }
    let b = suffix.as_bytes();
    let all_digits = b.iter().all(|c| c.is_ascii_digit());
    // `.1`, `.12`: logrotate numbers (only after a dot: `-2` may be part of a name).
    if all_digits && b.len() <= 3 && s.as_bytes()[i] == b'.' {
        return base;
    }
    // `20240301`, `2024030112`, `20240301120000`: dates.
    if all_digits && matches!(b.len(), 8 | 10 | 14) && looks_like_year(b) {
        return base;
    }
    // `2024-03-01`: the dashes split it, so look back for the whole date.
    if let Some(d) = date_suffix(s) {
        return d;
    }
    // `20240301-120000` (kubelet): time part after a date.
    if all_digits && b.len() == 6 {
        if let Some(j) = base.rfind(['.', '-', '_']) {
            let date = &base.as_bytes()[j + 1..];
            let is_date =
                date.len() == 8 && date.iter().all(|c| c.is_ascii_digit()) && looks_like_year(date);
            if is_date && j > 0 {
                return &base[..j];
            }
        }
    }
    s
}

fn looks_like_year(b: &[u8]) -> bool {
    matches!(&b[..2], b"19" | b"20")
}

/// `<base>[.-_]YYYY-MM-DD` -> `<base>`.
fn date_suffix(s: &str) -> Option<&str> {
    let b = s.as_bytes();
    if b.len() < 12 {
        return None;
    }
    let d = &b[b.len() - 10..];
    let ok = d.iter().enumerate().all(|(i, &c)| match i {
        4 | 7 => c == b'-' || c == b'_',
        _ => c.is_ascii_digit(),
    }) && looks_like_year(d);
    let sep = b[b.len() - 11];
    (ok && matches!(sep, b'.' | b'-' | b'_')).then(|| &s[..s.len() - 11])
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn src(root: &str, path: &str) -> Source {
        Source {
            path: PathBuf::from(path),
            display: path.to_string(),
            root: PathBuf::from(root),
            stream: path.to_string(),
            rotation: 0,
            size: 0,
            piped: false,
        }
    }

    fn svc(root: &str, path: &str) -> String {
        service_for(&src(root, path))
    }

    #[test]
    fn piped_inputs_are_named_for_what_they_are() {
        let piped = |path: &str| {
            let mut s = src(path, path);
            s.piped = true;
            service_for(&s)
        };
        assert_eq!(piped("-"), "stdin");
        assert_eq!(piped("/dev/fd/63"), "pipe");
        assert_eq!(piped("/run/nginx-access"), "nginx-access");
    }

    #[test]
    fn pods_layout_names_the_pod() {
        let cases = [
            ("/n/pods/train-ticket_ts-config-service-5fcd447d84-wxwjd_e6e7ffde-974b-4dd0-36ab-28504f58b205/server/0.log", "ts-config-service"),
            ("/n/pods/hipster_frontend-579b9bff58-t2dbm_91acca8a-92c5-d65b-10de-892d07859850/server/0.log", "frontend"),
            ("/n/pods/hipster_currencyservice-cf787dd48-vpjrd_bbbe4a6e-8a75-d74e-692b-1c5c37cd20c8/server/3.log", "currencyservice"),
            ("/n/pods/tt_ts-basic-service-5dc8d4f9fd-46997_2dbf91f7-3873-bbce-553b-e740758cad01/server/0.log.20230129-084908", "ts-basic-service"),
            ("/n/pods/tt_ts-basic-service-5dc8d4f9fd-46997_2dbf91f7-3873-bbce-553b-e740758cad01/server/0.log.20230129-084908.gz", "ts-basic-service"),
            ("/var/log/pods/db_redis-0_2dbf91f7-3873-bbce-553b-e740758cad01/redis/1.log", "redis"),
            ("/var/log/pods/kube-system_fluentd-x7k2p_2dbf91f7-3873-bbce-553b-e740758cad01/fluentd/0.log", "fluentd"),
            ("/var/log/pods/kube-system_kube-proxy-8xk9z_2dbf91f7-3873-bbce-553b-e740758cad01/kube-proxy/0.log", "kube-proxy"),
            ("/var/log/pods/kube-system_etcd-master-1_2dbf91f7-3873-bbce-553b-e740758cad01/etcd/0.log", "etcd-master"),
            ("/var/log/pods/default_nginx-3926361531-bx8mk_2dbf91f7-3873-bbce-553b-e740758cad01/nginx/0.log", "nginx"),
        ];
        for (p, want) in cases {
            assert_eq!(svc("/n", p), want, "{p}");
        }
    }

    #[test]
    fn containers_layout_names_the_pod() {
        let id = "3c5e7a0f1b2d4c6e8a9b0c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f6a7b8c9d0e1f";
        let p = format!(
            "/var/log/containers/ts-order-service-5b67c48447-mv5hb_train-ticket_server-{id}.log"
        );
        assert_eq!(svc("/var/log", &p), "ts-order-service");
        let p = format!("/logs/containers/coredns-5d78c9869d-4xq2w_kube-system_coredns-{id}.log");
        assert_eq!(svc("/logs", &p), "coredns");
        let p = format!("/logs/containers/web-2_shop_nginx-{id}.log");
        assert_eq!(svc("/logs", &p), "web");
        let p = format!("/var/lib/docker/containers/{id}/{id}-json.log.1");
        assert_eq!(svc("/var/lib/docker/containers", &p), "3c5e7a0f1b2d");
    }

    #[test]
    fn pod_suffixes_that_are_names_stay() {
        assert_eq!(pod_service("grpc-api"), "grpc-api");
        assert_eq!(pod_service("my-cache"), "my-cache");
        assert_eq!(pod_service("frontend"), "frontend");
        assert_eq!(pod_service("-x7k2p"), "-x7k2p");
        assert_eq!(pod_service("api-sql-x7k2p"), "api-sql");
        assert_eq!(
            pod_service("ts-preserve-service-b5ccf8557-j4txs"),
            "ts-preserve-service"
        );
        assert_eq!(
            pod_service("shippingservice-7b598fc7d-lmggd"),
            "shippingservice"
        );
    }

    #[test]
    fn edge_services_daily_and_hourly_files() {
        assert_eq!(
            svc("/inc", "/inc/E2EXAMPLE.2024-03-01-12.a1b2c3d4.gz"),
            "E2EXAMPLE"
        );
        assert_eq!(svc("/inc", "/inc/u_ex24030112.log"), "iis");
        assert_eq!(svc("/inc", "/inc/u_ex240301.log"), "iis");
        assert_eq!(svc("/inc", "/inc/export.log"), "export");
    }

    #[test]
    fn parent_folder_unless_root() {
        assert_eq!(svc("/inc", "/inc/payments/app.log"), "payments");
        assert_eq!(svc("/inc", "/inc/host1/nginx/access.log.2.gz"), "nginx");
        assert_eq!(svc("/inc", "/inc/api.log.2.gz"), "api");
        assert_eq!(svc("/inc/api.log", "/inc/api.log"), "api");
        assert_eq!(svc("logs", "logs/orders-20240301.log"), "orders");
        assert_eq!(svc("api.log", "api.log"), "api");
    }

    #[test]
    fn rotation_and_compression_suffixes() {
        let cases = [
            ("api.log.2.gz", "api"),
            ("api.log.1", "api"),
            ("access.log-20240301", "access"),
            ("access.log-20240301.gz", "access"),
            ("syslog.2024-03-01", "syslog"),
            ("app-2024-03-01.log", "app"),
            ("app_2024-03-01.log.zst", "app"),
            ("messages-20240301", "messages"),
            ("error_log", "error_log"),
            ("worker-2.log", "worker-2"),
            ("server.out", "server"),
            ("catalina.2024-03-01.log", "catalina"),
            ("gc.log.0.current", "gc.log.0.current"),
            ("trace.jsonl.bz2", "trace"),
            ("0.log.20230129-084908", "0"),
            (".log", ".log"),
            ("2024-03-01.log", "2024-03-01"),
        ];
        for (name, want) in cases {
            assert_eq!(file_stem(name), want, "{name}");
        }
    }
}
