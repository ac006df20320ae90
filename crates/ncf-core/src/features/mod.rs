//! Side features of users and items: tables as read from files ([`read`]) and their encoding
//! for a model ([`set`]), and cold-start descriptions (`describe`).

mod describe;
pub mod read;
pub mod set;

pub use read::*;
pub use set::*;
