//! The world: sessions and their journals (`state`), what operations do to a world
//! (`behaviour`, `behaviours`), where worlds start (`fixtures`), and the state file (`persist`).

pub mod behaviour;
pub mod behaviours;
pub mod fixtures;
pub mod persist;
pub mod state;
