//! A trace's events -> spans, their call tree and clock offsets. (Work in progress.)
