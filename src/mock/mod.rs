//! The mock: who may reach it (`access`), one route tree (`router`), dispatch (`engine`) and
//! how long its answers wait (`delay`), requests and answers (`message`), the pipeline for one
//! routed request (`exchange`), and the control API (`admin`, with the journal's filters in
//! `journal`).

pub mod access;
pub mod admin;
pub mod delay;
pub mod engine;
pub mod exchange;
pub mod journal;
pub mod message;
pub mod rejection;
pub mod router;
