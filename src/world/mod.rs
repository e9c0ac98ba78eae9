//! The world: sessions and their journals (`state`), what operations do to a world
//! (`behaviour`, `behaviours`), where worlds start (`fixtures`), the state file (`persist`),
//! each session's stubs and scenarios as data (`stubs`), and sessions carried over a reload
//! (`carry`).

pub mod behaviour;
pub mod behaviours;
pub mod carry;
pub mod fixtures;
pub mod persist;
pub mod state;
pub mod stubs;
