//! The mock: who may reach it (`access`), one route tree (`router`), dispatch (`engine`), requests and
//! answers (`message`), the pipeline for one routed request (`exchange`), and the control API (`admin`).

pub mod access;
pub mod admin;
pub mod engine;
pub mod exchange;
pub mod message;
pub mod rejection;
pub mod router;
