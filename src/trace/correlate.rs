//! Events -> groups of events that belong to one request. (Work in progress.)
