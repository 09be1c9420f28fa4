//! A span tree -> its critical path. (Work in progress.)
