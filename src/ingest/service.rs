//! A file's path -> the service its entries belong to when they do not say.
//!
//! Input: a [`Source`]. Output: a service name: the Kubernetes pod (without its
//! ReplicaSet and pod hash suffixes) for `pods/<ns>_<pod>_<uid>/<container>/0.log`
//! and `containers/<pod>_<ns>_<container>-<id>.log`; else the parent folder
//! unless it is the scanned root; else the file stem without rotation and
//! compression suffixes. (Work in progress: the last two rules only.)

use super::discover::Source;

/// The default service of the entries of `src`.
pub fn service_for(src: &Source) -> String {
    if let Some(parent) = src.path.parent() {
        if src.path != src.root && parent != src.root {
            if let Some(name) = parent.file_name() {
                return name.to_string_lossy().into_owned();
            }
        }
    }
    let name = src
        .path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    name.split('.').next().unwrap_or(&name).to_string()
}
