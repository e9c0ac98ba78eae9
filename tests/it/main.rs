//! Behaviour tests through a real server on 127.0.0.1, port 0: one test binary, one harness.

mod documents;
mod harness;
