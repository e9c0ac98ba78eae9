//! The mock: who may reach it (`access`), one route tree (`router`), dispatch (`engine`), how
//! long its answers wait (`delay`) and which it breaks (`faults`, `--fault`), requests and
//! answers (`message`), the pipeline for one routed request (`exchange`), the answers tests
//! set per session (`stubs`, scenarios among them), the control API (`admin`, with the
//! journal's filters in `journal`), and the engine replaced while serving (`reload`).

pub mod access;
pub mod admin;
pub mod delay;
pub mod engine;
pub mod exchange;
pub mod faults;
pub mod journal;
pub mod message;
pub mod rejection;
pub mod reload;
pub mod router;
pub mod stubs;
