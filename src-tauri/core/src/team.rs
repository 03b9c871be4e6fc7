//! The team: who is on it, who leads it, and the team profile the supervisor signs.
//!
//! Each worker's app holds only that worker's data. What the whole team shares (the register of
//! partners and the list of members) travels as a team profile signed by the supervisor, and the
//! yearly evaluation needs to know whose counts are still missing.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// A member of the team, as the supervisor lists them: the evaluation recognises a worker's count
/// file by the e-mail address in it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Member {
    pub name: String,
    pub email: String,
}
